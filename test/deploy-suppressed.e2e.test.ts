import { afterEach, describe, expect, it } from "vitest";
import { type ControlPlane, startControlPlane } from "../packages/cli/src/local/control-plane.ts";
import { executionOutcome } from "../packages/cli/src/replay.ts";
import type { Config } from "../packages/core/src/config/index.ts";
import { listAudit } from "../packages/core/src/store/state.ts";
import { untilAlias } from "./support/deploy.ts";
import { example } from "./support/scenario.ts";

// Issue #11 finding 14 / ADR 0014's open consequence: the deploy state machine's check between
// steps honours the deployment's suppressedAlarms policy, as the rollback function does.

const WORKER = "queue-worker:live";
const start = Date.parse("2019-11-16T01:54:34Z");

const worker = (suppressedAlarms?: "rollback" | "ignore"): Config =>
  example((raw) => ({
    ...raw,
    deployments: raw.deployments?.map((d) =>
      d.name === "worker" && suppressedAlarms ? { ...d, suppressedAlarms } : d,
    ),
  }));

/**
 * WorkerErrors as a composite alarm muted by a maintenance-window alarm (its suppressor): the
 * suppressor is in ALARM, so the composite's actions are suppressed ("Alarm").
 */
function muteWorkerErrors(plane: ControlPlane, waitSeconds = 0): void {
  const cloudwatch = plane.account.cloudwatch;
  cloudwatch.deleteAlarm("WorkerErrors");
  cloudwatch.seedAlarm("MaintenanceWindow", "OK");
  cloudwatch.seedAlarm("WorkerErrors", "OK", {
    composite: true,
    suppressor: { alarm: "MaintenanceWindow", waitSeconds, extensionSeconds: 0 },
  });
}

describe("the check between steps follows suppressedAlarms (ADR 0014, 0020)", () => {
  let plane: ControlPlane;
  afterEach(async () => plane?.close());

  /** Deployment a at its 10% canary when WorkerErrors goes to ALARM, muted by its suppressor; then time runs out. */
  async function canaryUnderMutedAlarm(config: Config) {
    plane = await startControlPlane(config, { start });
    muteWorkerErrors(plane);
    plane.account.ecr.pushImage("queue-worker", "stable", "a");
    await untilAlias(plane, WORKER, { version: "1", weights: { "2": 0.1 } });
    plane.account.cloudwatch.observeState("MaintenanceWindow", "ALARM");
    plane.account.cloudwatch.observeState("WorkerErrors", "ALARM");

    await plane.runOut();
    return plane.account.sfn.executions()[0];
  }

  it('goes on shifting past a muted alarm in ALARM when the deployment says "ignore", and audits why', async () => {
    const execution = await canaryUnderMutedAlarm(worker("ignore"));

    expect(execution && executionOutcome(execution)).toBe("deployed");
    expect(plane.aliases()[WORKER]).toEqual({ version: "2", weights: {} });
    const suppressed = (await listAudit(plane.store)).filter(
      (a) => a.reaction === "deploy" && a.decision === "suppressed",
    );
    expect(suppressed.length).toBeGreaterThan(0);
    expect(suppressed[0]?.reason).toMatch(
      /WorkerErrors \(suppressed by Alarm\) in ALARM with actions suppressed, and worker has suppressedAlarms "ignore"/,
    );
  });

  it("rolls back on a muted alarm by default, and says the alarm was muted", async () => {
    const execution = await canaryUnderMutedAlarm(worker());

    expect(execution && executionOutcome(execution)).toBe("rolled-back");
    expect(plane.aliases()[WORKER]).toEqual({ version: "1", weights: {} });
    const rolledBack = (await listAudit(plane.store)).find((a) => a.decision === "rolled-back");
    expect(rolledBack?.reason).toMatch(/WorkerErrors \(suppressed by Alarm\); muted alarms roll back too/);
  });

  it('still rolls back under "ignore" once the alarm is no longer muted (its wait period ran out)', async () => {
    plane = await startControlPlane(worker("ignore"), { start });
    muteWorkerErrors(plane, 30);
    plane.account.ecr.pushImage("queue-worker", "stable", "a");
    await untilAlias(plane, WORKER, { version: "1", weights: { "2": 0.1 } });
    // The composite goes to ALARM while its suppressor does not: muted for the 30 s wait period
    // only, and the next check comes after the 1-minute bake.
    plane.account.cloudwatch.observeState("WorkerErrors", "ALARM");

    await plane.runOut();

    expect(plane.aliases()[WORKER]).toEqual({ version: "1", weights: {} });
    const [execution] = plane.account.sfn.executions();
    expect(execution && executionOutcome(execution)).toBe("rolled-back");
  });

  it("carries the policy in the execution's input, so a console replay decides the same way", async () => {
    plane = await startControlPlane(worker("ignore"), { start });
    plane.account.ecr.pushImage("queue-worker", "stable", "a");
    await plane.settle();

    const [execution] = plane.account.sfn.executions();

    expect(JSON.parse(String(execution?.input))).toMatchObject({ suppressedAlarms: "ignore" });
  });
});
