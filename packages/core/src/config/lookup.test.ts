import { describe, expect, it } from "vitest";
import aurora from "../../../../examples/aurora-global-failover/switchyard.config.ts";
import { configIndex } from "./lookup.ts";
import { ConfigError, parseConfig } from "./parse.ts";
import type { ConfigInput } from "./schema.ts";

const deployment = (name: string, more: Record<string, unknown> = {}) => ({
  name,
  function: `${name}-api`,
  alias: "live",
  image: { repository: `platform/${name}`, tag: "release" },
  strategy: "AllAtOnce",
  alarms: [`${name}-errors`],
  ...more,
});

const config = (deployments: Record<string, unknown>[]) =>
  parseConfig({ deployments } as ConfigInput, "lookup.test");

const names = (list: readonly { name: string }[]) => list.map((d) => d.name);

const issuesOf = (input: unknown): string[] => {
  try {
    parseConfig(input, "lookup.test");
  } catch (error) {
    if (error instanceof ConfigError) return error.issues;
    throw error;
  }
  throw new Error("expected the config to be refused");
};

describe("configIndex", () => {
  it("is built when the config is loaded and reused for every later lookup", () => {
    const loaded = config([deployment("a")]);

    expect(configIndex(loaded)).toBe(configIndex(loaded));
  });

  it("finds the deployment an ECR push of repository:tag deploys, and none for another tag", () => {
    const index = configIndex(config([deployment("a"), deployment("b")]));

    expect(names(index.imagePush("platform/b", "release"))).toEqual(["b"]);
    expect(index.imagePush("platform/b", "latest")).toEqual([]);
    expect(index.imagePush("platform/c", "release")).toEqual([]);
  });

  it("lists every deployment one alarm guards, in config order", () => {
    const index = configIndex(
      config([
        deployment("a", { alarms: ["shared", "a-errors"] }),
        deployment("b"),
        deployment("c", { alarms: ["c-errors", "shared"] }),
      ]),
    );

    expect(names(index.guardedBy("shared"))).toEqual(["a", "c"]);
    expect(names(index.guardedBy("b-errors"))).toEqual(["b"]);
    expect(index.guardedBy("unknown")).toEqual([]);
  });

  it("finds a GitHub repository's deployments, only those with an ECR repository to deploy from", () => {
    const github = { repository: "acme/api", on: ["release"] };
    const index = configIndex(
      config([
        deployment("a", { github, image: { repository: "platform/a" } }),
        deployment("b", { github: { ...github, on: ["deployment"] }, image: { repository: "platform/b" } }),
        deployment("c"),
      ]),
    );

    expect(names(index.githubRepository("acme/api"))).toEqual(["a", "b"]);
    expect(index.githubRepository("acme/other")).toEqual([]);
  });

  it("finds the runbook an alarm triggers", () => {
    const index = configIndex(parseConfig(aurora, "aurora"));

    expect(names(index.runbooksTriggeredBy("payments-primary-health"))).toEqual(["payments"]);
    expect(index.runbooksTriggeredBy("payments-errors")).toEqual([]);
  });

  it("lists a runbook once even when its triggers name one alarm twice", () => {
    const input = structuredClone(aurora) as { failover: { runbooks: { triggers: { alarms: string[] } }[] } };
    const runbook = input.failover.runbooks[0];
    if (!runbook) throw new Error("the example has a runbook");
    runbook.triggers.alarms = ["payments-primary-health", "payments-primary-health"];

    const index = configIndex(parseConfig(input, "aurora"));

    expect(names(index.runbooksTriggeredBy("payments-primary-health"))).toEqual(["payments"]);
  });

  it("answers for a config object made without parseConfig, built once for it", () => {
    const loaded = config([deployment("a")]);
    const copy = { ...loaded, deployments: [...loaded.deployments] };

    expect(names(configIndex(copy).guardedBy("a-errors"))).toEqual(["a"]);
    expect(configIndex(copy)).toBe(configIndex(copy));
  });
});

describe("duplicates the index relies on are refused at load", () => {
  it("refuses a deployment naming one alarm twice", () => {
    expect(issuesOf({ deployments: [deployment("a", { alarms: ["x", "x"] })] })).toEqual([
      expect.stringContaining('deployments[0].alarms[1]: "x" is already listed as alarms[0]'),
    ]);
  });

  it("refuses two deployments on one repository:tag", () => {
    expect(
      issuesOf({
        deployments: [
          deployment("a"),
          deployment("b", { image: { repository: "platform/a", tag: "release" } }),
        ],
      }),
    ).toEqual([
      expect.stringContaining(
        'deployments[1].image: deployments[0] ("a") already deploys platform/a:release',
      ),
    ]);
  });
});
