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
import { listScenarios, runScenario } from "../packages/cli/src/scenarios.ts";
import { example } from "./support/scenario.ts";

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
