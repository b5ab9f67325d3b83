import { describe, expect, it } from "vitest";
import {
  advance,
  githubWrote,
  noticeSaid,
  notified,
  push,
} from "../packages/cli/src/scenarios/vocabulary.ts";
import { playScenario, runScenario } from "../packages/cli/src/scenarios.ts";
import { example } from "./support/scenario.ts";

// The scenarios of deploy notifications and the GitHub write-back (issue #12, ADR 0029): each
// plays on the simulated account with a local Slack-compatible webhook or GitHub's API as a
// local server, and its expectations read what was published and what GitHub recorded.

/** Plays a built-in scenario; its result (the --json output) never holds the GitHub token. */
async function played(name: string) {
  const result = await playScenario(name, example());
  expect(result.failures).toEqual([]);
  expect(JSON.stringify(result)).not.toContain("ghp_");
  return result;
}

describe("deploy notification and GitHub write-back scenarios", () => {
  it("deploy-notifications: the webhook hears the alarm's rollback with its reason, as the topic does", async () => {
    const result = await played("deploy-notifications");

    const rolledBack = result.notices.filter((n) => /rolled back$/.test(n.headline));
    expect(rolledBack.map((n) => n.channel)).toEqual(["sns", "webhook"]);
    expect(rolledBack.find((n) => n.channel === "webhook")?.text).toMatch(
      /\n• \d\d:\d\d:\d\d rollback\/rolled-back: alarm WorkerErrors went to ALARM/,
    );
  });

  it("github-writeback-release-superseded: each status carries the environment and the execution's log URL", async () => {
    const result = await played("github-writeback-release-superseded");

    const statuses = (result.githubStatuses ?? []).filter((s) => s.kind === "deployment-status");
    expect(statuses.map((s) => s.body.environment)).toEqual(Array(5).fill("production"));
    expect(String(statuses[1]?.body.log_url)).toMatch(
      /^https:\/\/console\.aws\.amazon\.com\/states\/home#\/executions\/worker-/,
    );
  });

  it("github-writeback-outage-aws-unaffected: GitHub's 500s leave the execution succeeded and nothing written", async () => {
    const result = await played("github-writeback-outage-aws-unaffected");

    expect(result.executions).toEqual([expect.objectContaining({ status: "SUCCEEDED" })]);
    expect(result.githubStatuses).toEqual([]);
  });
});

describe("the expectations that read notices and GitHub's writes", () => {
  it("fail with what was published and written instead", async () => {
    const result = await runScenario(
      {
        name: "notices-expected-wrongly",
        summary: "",
        world: { webhook: { deployments: ["worker"] } },
        steps: [push("worker"), advance(10)],
        expect: [
          notified("webhook", "Switchyard: worker: deployed"),
          noticeSaid("sns", "Switchyard: worker: deployment started", "Reason:", "the topic should say why"),
          githubWrote("deployment", "1000 v1"),
        ],
      },
      example(),
    );

    expect(result.passed).toBe(false);
    expect(result.failures).toEqual([
      'webhook notices should be ["Switchyard: worker: deployed"], were ["Switchyard: worker: deployment started","Switchyard: worker: 10% shifted, bake 60 s"]',
      "the topic should say why",
      'GitHub deployment writes should be ["1000 v1"], were []',
    ]);
  });
});
