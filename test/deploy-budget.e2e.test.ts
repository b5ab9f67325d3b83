import { SetAlarmStateCommand } from "@aws-sdk/client-cloudwatch";
import type { BusEventOut } from "@switchyard/sim";
import { describe, expect } from "vitest";
import type { ControlPlane } from "../packages/cli/src/local/control-plane.ts";
import { status } from "../packages/cli/src/ops.ts";
import { executionOutcome } from "../packages/cli/src/replay.ts";
import { playScenario } from "../packages/cli/src/scenarios.ts";
import type { Config } from "../packages/core/src/config/index.ts";
import { readFreeze } from "../packages/core/src/deployments/budget.ts";
import { operateDeployment } from "../packages/core/src/deployments/operator.ts";
import { budgetAlarmName } from "../packages/core/src/deployments/slo.ts";
import { listAudit, readDeployment } from "../packages/core/src/store/state.ts";
import { opsTarget, untilAlias } from "./support/deploy.ts";
import { it } from "./support/plane.ts";
import { example } from "./support/scenario.ts";

// Issue #12, error budgets: burn-rate alarms (metric math) planned with the stack; their state
// changes arrive on the bus and roll back and freeze by event (docs/decisions/0028-*.md).

const WORKER = "queue-worker:live";

const withSlo = (slo: Record<string, unknown> = {}): Config =>
  example((raw) => ({
    ...raw,
    deployments: raw.deployments?.map((d) =>
      d.name === "worker" ? { ...d, slo: { objective: 99.5, window: "1d", ...slo } } : d,
    ),
  }));

/** CloudWatch evaluates the alarm: its state changes, and the change goes on the bus. */
async function burn(plane: ControlPlane, level: "exhausted" | "critical", value: "ALARM" | "OK" = "ALARM") {
  await plane.clients.cloudwatch.send(
    new SetAlarmStateCommand({
      AlarmName: budgetAlarmName("worker", level),
      StateValue: value,
      StateReason: `Threshold Crossed: 12 out of the last 12 datapoints were greater than or equal to the threshold`,
      StateReasonData: JSON.stringify({
        version: "1.0",
        period: 7200,
        recentDatapoints: [value === "ALARM" ? 180 : 10],
        threshold: level === "exhausted" ? 95 : 80,
      }),
    }),
  );
  await plane.settle();
}

const decisions = async (plane: ControlPlane) =>
  (await listAudit(plane.store)).filter((a) => a.subject === "worker").map((a) => a.decision);

describe("error budgets (issue #12)", () => {
  it.override("config", withSlo());

  it("rolls back a finished deployment to the last version that met the SLO and freezes deploys until an operator lifts it", async ({
    plane,
  }) => {
    const seen: BusEventOut[] = [];
    plane.account.events.onIncoming((e) => seen.push(e));
    plane.account.ecr.pushImage("queue-worker", "stable", "a");
    await plane.runOut();
    expect(plane.aliases()[WORKER]).toEqual({ version: "2", weights: {} });

    await burn(plane, "exhausted");

    // The alarm's event, as CloudWatch sends it for a metric-math alarm.
    const alarmEvent = seen.find((e) => e["detail-type"] === "CloudWatch Alarm State Change");
    const metrics =
      (alarmEvent?.detail as { configuration?: { metrics?: Record<string, unknown>[] } } | undefined)
        ?.configuration?.metrics ?? [];
    expect(metrics.find((m) => m.returnData === true)?.expression).toMatch(/100 \* \(total - good\)/);
    expect(metrics.find((m) => m.id === "total")?.metricStat).toMatchObject({
      metric: { namespace: "AWS/Lambda", name: "Invocations", dimensions: { Resource: "queue-worker:live" } },
      period: 7200,
      stat: "Sum",
    });
    expect(plane.aliases()[WORKER]).toEqual({ version: "1", weights: {} });
    expect((await readDeployment(plane.store, "worker"))?.status).toBe("rolled-back");
    expect(await readFreeze(plane.context, "worker")).toMatchObject({
      level: "exhausted",
      rolledBackTo: "1",
    });
    const notice = plane.account.sns
      .published()
      .find((m) => /error budget exhausted/.test(String(m.Subject)));
    expect(String(notice?.Message)).toContain("≥ 95% of the error budget consumed");
    const shown = (await status(plane.config, opsTarget(plane))).deployments.find(
      (d) => d.deployment === "worker",
    );
    expect(shown?.budget?.freeze?.level).toBe("exhausted");

    // Frozen: the next push is refused before anything is claimed, even once the budget recovers.
    await burn(plane, "exhausted", "OK");
    plane.account.ecr.pushImage("queue-worker", "stable", "b");
    await plane.runOut();
    expect(plane.aliases()[WORKER]).toEqual({ version: "1", weights: {} });
    expect(executionOutcome(plane.account.sfn.executions().at(-1) as never)).not.toBe("deployed");

    const lifted = await operateDeployment(plane.context, {
      verb: "unfreeze",
      deployment: "worker",
      by: "alice",
      reason: "fixed the bad dependency",
    });
    plane.account.ecr.pushImage("queue-worker", "stable", "c");
    await plane.runOut();

    expect(lifted.outcome).toBe("unfrozen");
    expect(plane.aliases()[WORKER]?.weights).toEqual({});
    expect(plane.aliases()[WORKER]?.version).not.toBe("1");
    expect(await decisions(plane)).toEqual(
      expect.arrayContaining(["budget-exhausted", "rolled-back", "abandoned", "unfrozen", "deployed"]),
    );
  });

  it("holds a rollout whose budget turns critical until an operator lifts the freeze", async ({ plane }) => {
    plane.account.ecr.pushImage("queue-worker", "stable", "a");
    await untilAlias(plane, WORKER, { version: "1", weights: { "2": 0.1 } });

    await burn(plane, "critical");
    for (let i = 0; i < 30; i++) {
      plane.account.clock.advance();
      await plane.settle();
    }

    expect(plane.aliases()[WORKER]).toEqual({ version: "1", weights: { "2": 0.1 } });
    expect(await readFreeze(plane.context, "worker")).toMatchObject({ level: "critical" });
    expect(plane.account.sfn.executions()[0]?.status).toBe("RUNNING");
    expect(await decisions(plane)).toContain("budget-critical");

    await burn(plane, "critical", "OK");
    await operateDeployment(plane.context, {
      verb: "unfreeze",
      deployment: "worker",
      by: "alice",
      reason: "ok",
    });
    await plane.runOut();
    expect(plane.aliases()[WORKER]).toEqual({ version: "2", weights: {} });
  });

  it("rolls a rollout back when its budget turns critical and the deployment opts in", async ({
    startPlane,
  }) => {
    const plane = await startPlane(withSlo({ onCritical: "rollback" }));
    plane.account.ecr.pushImage("queue-worker", "stable", "a");
    await untilAlias(plane, WORKER, { version: "1", weights: { "2": 0.1 } });

    await burn(plane, "critical");
    await plane.runOut();

    expect(plane.aliases()[WORKER]).toEqual({ version: "1", weights: {} });
    expect(await readFreeze(plane.context, "worker")).toBeUndefined();
    expect(await decisions(plane)).toContain("budget-critical");
  });
});

describe("the slo config", () => {
  it("refuses an SLO window longer than CloudWatch evaluates an alarm, naming the limit", () => {
    expect(() => withSlo({ window: "30d" })).toThrow(/slo\.window.*7 days/);
    expect(() => withSlo({ window: "90m" })).toThrow(/slo\.window.*multiple of 12m/);
  });
});

describe("the error-budget scenario", () => {
  it("plays error-budget-exhausted-rollback-and-freeze as its expectations say", async () => {
    const result = await playScenario("error-budget-exhausted-rollback-and-freeze", example());

    expect(result.failures).toEqual([]);
    expect(result.passed).toBe(true);
  });
});
