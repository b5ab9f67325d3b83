import { describe, expect, it } from "vitest";
import { playScenario } from "../packages/cli/src/scenarios.ts";
import { example } from "./support/scenario.ts";

// The Podinfo example's deployments (issue #12): the frontend's canary rolled back by its 5xx
// alarm, and the backend's blue/green (all at once, then a post-traffic hook) that passes or
// rolls back in one alias update. Each scenario runs examples/podinfo on the simulated account.

/** What each `alias … → …` line of the timeline set the alias to, in order. */
const aliasWrites = (timeline: string[], alias: string) =>
  timeline.filter((l) => l.includes(`alias ${alias} →`)).map((l) => l.split("→ ")[1]);

describe("the Podinfo example's deployments", () => {
  it("podinfo-metric-rollback: the frontend's 5xx alarm puts the alias back on the stable version in the second it fires", async () => {
    const result = await playScenario("podinfo-metric-rollback", example());

    expect(result.failures).toEqual([]);
    expect(aliasWrites(result.timeline, "podinfo-frontend:live")).toEqual(["90% v1 / 10% v2", "100% v1"]);
    const fired = result.timeline.find((l) => l.includes("alarm PodinfoFrontend5xx: OK → ALARM"));
    const rolledBack = result.timeline.find((l) => l.includes("alias podinfo-frontend:live → 100% v1"));
    expect(rolledBack?.slice(0, 7)).toBe(fired?.slice(0, 7));
    expect(result.executions).toEqual([
      expect.objectContaining({ status: "ABORTED", outcome: "rolled-back" }),
    ]);
  });

  it("podinfo-blue-green: 100% moves at once, the post-traffic hook passes, and the deployment ends there", async () => {
    const result = await playScenario("podinfo-blue-green", example());

    expect(result.failures).toEqual([]);
    expect(aliasWrites(result.timeline, "podinfo-backend:live")).toEqual(["100% v2"]);
    expect(result.aliases["podinfo-frontend:live"]).toEqual({ version: "1", weights: {} });
  });

  it("podinfo-blue-green-instant-rollback: a failed post-traffic hook puts 100% back on the old version in one alias update", async () => {
    const result = await playScenario("podinfo-blue-green-instant-rollback", example());

    expect(result.failures).toEqual([]);
    expect(aliasWrites(result.timeline, "podinfo-backend:live")).toEqual(["100% v2", "100% v1"]);
    expect(result.executions).toEqual([
      expect.objectContaining({ status: "FAILED", outcome: "rolled-back" }),
    ]);
  });
});
