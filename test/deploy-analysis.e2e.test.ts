import { afterEach, describe, expect, it } from "vitest";
import { type ControlPlane, startControlPlane } from "../packages/cli/src/local/control-plane.ts";
import { status } from "../packages/cli/src/ops.ts";
import { executionOutcome } from "../packages/cli/src/replay.ts";
import type { Config } from "../packages/core/src/config/index.ts";
import { listAudit, readDeployment } from "../packages/core/src/store/state.ts";
import { opsTarget, untilAlias } from "./support/deploy.ts";
import { example } from "./support/scenario.ts";

// Issue #12, alarms and analysis scoped to the new version (ADR 0026): the version's own
// metrics (AWS/Lambda under FunctionName, Resource and ExecutedVersion) decide, not the
// whole function's; IAM enforcement is on (the plan grants what the steps call).

const WORKER = "queue-worker:live";
const CANARY = { version: "1", weights: { "2": 0.1 } };
const start = Date.parse("2019-11-16T01:54:34Z");

const ANALYSIS = {
  metrics: [
    { name: "error-rate", kind: "errorRate", max: 0.05 },
    { name: "p99-duration", kind: "p99Duration", max: 800 },
  ],
  failureLimit: 2,
  window: "5m",
};
const VERSION_ALARMS = [{ name: "errors", metric: "Errors", statistic: "Sum", threshold: 10 }];

const withAnalysis = (fields: Record<string, unknown>): Config =>
  example((raw) => ({
    ...raw,
    deployments: raw.deployments?.map((d) =>
      d.name === "worker" ? { ...d, strategy: "Canary10Percent5Minutes", ...fields } : d,
    ),
  }));

describe("alarms and analysis scoped to the new version (issue #12)", () => {
  let plane: ControlPlane;
  afterEach(async () => plane?.close());

  /** The worker's canary at 10%; then a minute of traffic on version 2 (and on version 1). */
  async function canaryWithTraffic(
    fields: Record<string, unknown>,
    v2: { errors: number; durationMs: number },
  ) {
    plane = await startControlPlane(withAnalysis(fields), { start });
    plane.account.ecr.pushImage("queue-worker", "stable", "a");
    await untilAlias(plane, WORKER, CANARY);
    plane.account.clock.tick(60_000);
    const traffic = { functionName: "queue-worker", alias: "live" };
    // The stable version is healthy: the function-wide error rate stays low; only v2's is not.
    plane.account.cloudwatch.recordLambdaInvocations({
      ...traffic,
      version: "1",
      count: 900,
      durationMs: 120,
    });
    plane.account.cloudwatch.recordLambdaInvocations({ ...traffic, version: "2", count: 100, ...v2 });
    await plane.runOut();
  }
  const audit = async () => (await listAudit(plane.store)).filter((a) => a.subject === "worker");
  const alarmNames = () =>
    ["errors"].map((n) => `switchyard-worker-v2-${n}`).filter((n) => plane.account.cloudwatch.stateOf(n));

  it("promotes a version whose analysis passes, auditing each result", async () => {
    await canaryWithTraffic({ analysis: ANALYSIS }, { errors: 1, durationMs: 200 });

    expect(plane.aliases()[WORKER]).toEqual({ version: "2", weights: {} });
    const [passed] = (await audit()).filter((a) => a.decision === "analysis-passed");
    expect(passed?.reason).toMatch(/error-rate=0\.01 \(≤ 0\.05\), p99-duration=200 \(≤ 800\)/);
    expect(passed?.details).toMatchObject({ failures: 0, failureLimit: 2, version: "2", step: 2 });
  });

  it("holds a failed check, then rolls back at the failure limit, with the version's numbers", async () => {
    await canaryWithTraffic({ analysis: ANALYSIS }, { errors: 20, durationMs: 200 });

    expect(plane.aliases()[WORKER]).toEqual({ version: "1", weights: {} });
    const failed = (await audit()).filter((a) => a.decision === "analysis-failed");
    expect(failed.map((a) => a.details?.failures)).toEqual([1, 2]);
    const record = await readDeployment(plane.store, "worker");
    expect(record?.status).toBe("rolled-back");
    expect(record?.reason).toMatch(
      /analysis failed 2 of 2 allowed checks: error-rate=0\.2 \(≤ 0\.05\) on version 2/,
    );
    expect(executionOutcome(plane.account.sfn.executions()[0] as never)).toBe("rolled-back");
    const shown = (await status(plane.config, opsTarget(plane))).deployments.find(
      (d) => d.deployment === "worker",
    );
    expect(shown?.analysis?.[0]).toMatch(
      /^analysis-failed: analysis of version 2 before step 2: error-rate=0\.2 \(≤ 0\.05\) FAILED/,
    );
  });

  it("creates the version's alarms with the first shift and deletes them when it is deployed", async () => {
    plane = await startControlPlane(withAnalysis({ versionAlarms: VERSION_ALARMS }), { start });
    plane.account.ecr.pushImage("queue-worker", "stable", "a");
    await untilAlias(plane, WORKER, CANARY);

    const created = plane.account.calls.filter((c) => c.action === "PutMetricAlarm");
    expect(created.map((c) => c.input)).toEqual([
      expect.objectContaining({
        AlarmName: "switchyard-worker-v2-errors",
        MetricName: "Errors",
        Dimensions: [
          { Name: "FunctionName", Value: "queue-worker" },
          { Name: "Resource", Value: "queue-worker:live" },
          { Name: "ExecutedVersion", Value: "2" },
        ],
      }),
    ]);
    await plane.runOut();

    expect(plane.aliases()[WORKER]).toEqual({ version: "2", weights: {} });
    expect(alarmNames()).toEqual([]);
  });

  it("rolls back when the version's own alarm fires, and deletes its alarms", async () => {
    await canaryWithTraffic({ versionAlarms: VERSION_ALARMS }, { errors: 12, durationMs: 200 });

    expect(plane.aliases()[WORKER]).toEqual({ version: "1", weights: {} });
    const record = await readDeployment(plane.store, "worker");
    expect(record?.status).toBe("rolled-back");
    expect(record?.reason).toMatch(/alarm switchyard-worker-v2-errors went to ALARM/);
    expect(alarmNames()).toEqual([]);
  });
});
