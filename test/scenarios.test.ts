import { describe, expect, it } from "vitest";
import {
  aliasOn,
  auditSaid,
  outcomes,
  push,
  runOut,
  say,
  scan,
} from "../packages/cli/src/scenarios/vocabulary.ts";
import { listScenarios, playScenario, runScenario } from "../packages/cli/src/scenarios.ts";
import { example, present } from "./support/scenario.ts";

describe("scenarios as data", () => {
  it("plays the steps in order on the timeline and passes when every expectation holds", async () => {
    const result = await runScenario(
      {
        name: "blocked",
        summary: "a CRITICAL finding blocks the deploy",
        steps: [
          push("api"),
          scan("api", { CRITICAL: 1 }),
          say((p) => `alias: ${p.aliases()["api-handler:live"]?.version}`),
          runOut(),
        ],
        expect: [outcomes("blocked"), aliasOn("api-handler:live", "1")],
      },
      example(),
    );

    expect(result).toMatchObject({ name: "blocked", passed: true, failures: [] });
    expect(result.timeline.findIndex((l) => l.includes("ECR PUSH"))).toBeLessThan(
      result.timeline.findIndex((l) => l.includes("ECR scan")),
    );
    expect(result.timeline).toContain(`         ${"note".padEnd(14)} alias: 1`);
  });

  it("fails a scenario with one message for each expectation the world does not meet", async () => {
    const result = await runScenario(
      {
        name: "blocked-but-expected-deployed",
        summary: "",
        steps: [push("api"), scan("api", { CRITICAL: 1 }), runOut()],
        expect: [
          outcomes("blocked"),
          aliasOn("api-handler:live", "2"),
          auditSaid("deployed", "", "the deploy should be audited as deployed"),
        ],
      },
      example(),
    );

    expect(result.passed).toBe(false);
    expect(result.failures).toEqual([
      'api-handler:live should be 100% on version 2, is {"version":"1","weights":{}}',
      "the deploy should be audited as deployed",
    ]);
  });

  it("refuses a scan of a deployment the scenario has not pushed, naming it", async () => {
    await expect(
      runScenario({ name: "unpushed", summary: "", steps: [scan("api")], expect: [] }, example()),
    ).rejects.toThrow("scenario unpushed scans api before pushing it");
  });

  it("lists every built-in scenario once, with a summary", () => {
    const names = listScenarios().map((s) => s.name);

    expect(new Set(names).size).toBe(names.length);
    expect(listScenarios().every((s) => s.summary.length > 0)).toBe(true);
  });
});

/** Plays a built-in scenario, checking that no secret value reaches its result (the --json output). */
async function played(name: string) {
  const result = await playScenario(name, {});
  const json = JSON.stringify(result);
  expect(json).not.toContain("podinfo-initial-token");
  expect(json).not.toContain("ghp_");
  expect(json).not.toMatch(/"token\\":/);
  return result;
}

describe("rotation scenarios on the Podinfo example", () => {
  it("scheduled-rotation: the schedule comes due and podinfo's function moves a new version to AWSCURRENT", async () => {
    const result = await played("scheduled-rotation");

    expect(result.failures).toEqual([]);
    const secret = present(result.secrets["podinfo-api"], "podinfo-api's outcome");
    const [rotation] = secret.rotations;
    expect(secret.rotations).toHaveLength(1);
    expect(rotation?.steps).toEqual(["createSecret", "setSecret", "testSecret", "finishSecret"]);
    expect(secret.stages[secret.initial]).toEqual(["AWSPREVIOUS"]);
    expect(secret.stages[String(rotation?.token)]).toContain("AWSCURRENT");
    // Secrets Manager ran it: Switchyard decided nothing, so the audit log stays empty.
    expect(result.audit).toEqual([]);
    expect(result.executions).toEqual([]);
  });

  it("rotate-on-leak: a signed secret_scanning_alert through the receiver rotates, drops the leaked version and resolves the alert", async () => {
    const result = await played("rotate-on-leak");

    expect(result.failures).toEqual([]);
    const secret = present(result.secrets["podinfo-api"], "podinfo-api's outcome");
    expect(secret.stages[secret.initial]).toBeUndefined();
    expect(Object.values(secret.stages).flat()).not.toContain("AWSPREVIOUS");
    expect(result.audit.map((a) => `${a.reaction} ${a.decision}`)).toEqual([
      "rotate-on-leak started",
      "rotate-on-leak rotated",
    ]);
    expect(result.github).toEqual([
      {
        path: "/repos/Codertocat/Hello-World/secret-scanning/alerts/191",
        body: expect.objectContaining({ state: "resolved", resolution: "revoked" }),
      },
    ]);
    expect(result.timeline).toContain(`0:00:00  ${"event".padEnd(14)} github.com secret_scanning_alert`);
  });

  it("stuck-rotation: a rotation left AWSPENDING is found by the hourly check, cleared and rotated again", async () => {
    const result = await played("stuck-rotation");

    expect(result.failures).toEqual([]);
    const secret = present(result.secrets["podinfo-api"], "podinfo-api's outcome");
    const [stuck, retried] = secret.rotations;
    expect(stuck).toMatchObject({ failed: "finishSecret" });
    expect(retried?.failed).toBeUndefined();
    expect(secret.stages[String(stuck?.token)]).toBeUndefined();
    expect(secret.stages[String(retried?.token)]).toContain("AWSCURRENT");
    expect(secret.stages[secret.initial]).toEqual(["AWSPREVIOUS"]);
    expect(result.audit).toEqual([
      expect.objectContaining({
        reaction: "secrets-stuck",
        decision: "retried",
        subject: "podinfo-api",
        reason: `pending version ${stuck?.token} cleared (custom rotator); rotation started again`,
      }),
    ]);
  });
});
