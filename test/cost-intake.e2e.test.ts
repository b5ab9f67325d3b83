import { QueryCommand } from "@aws-sdk/lib-dynamodb";
import { describe, expect } from "vitest";
import type { ControlPlane } from "../packages/cli/src/local/control-plane.ts";
import { readResponse } from "../packages/core/src/cost/record.ts";
import type { Delivery } from "../packages/sim/src/index.ts";
import { ANOMALY, alert, costAudit, costExecutions, failRecording, grown, it } from "./support/cost.ts";

/**
 * The intake opens the anomaly's response record, then starts its execution. A StartExecution
 * that fails in between (throttled, or the function times out) used to leave the record open
 * with no execution: every retry and every later alert took the anomaly for one that has its
 * response. Now the record is opened with the execution's input on it, and whoever finds it
 * there starts the execution under the anomaly's one name.
 */

/** Fails the intake's StartExecution `times` times with Step Functions' throttling error. */
function throttleStart(p: ControlPlane, times: number): void {
  p.account.injectFault({
    service: "states",
    action: "StartExecution",
    error: "ThrottlingException",
    times,
    when: (input) => String(input.name).startsWith("cost-"),
  });
}

/**
 * Delivers `event` and lets virtual time pass, one timer at a time, until Lambda is done with each
 * function whose first attempt failed: a retry succeeded, or the event was discarded (Lambda
 * retries an asynchronous invocation after 1 minute, then 2 more).
 */
async function deliverAndRetry(
  p: ControlPlane,
  event: Parameters<ControlPlane["deliver"]>[0],
): Promise<Delivery> {
  const delivery = await p.deliver(event);
  const failed = delivery.outcomes.filter((o) => o.error);
  const done = () =>
    failed.every((o) =>
      delivery.later.some((s) => s.target === o.target && (s.kind === "discarded" || !s.error)),
    );
  while (!done() && p.account.clock.advance()) await p.settle();
  return delivery;
}

/** Units of the action budget spent, over every window. */
async function budgetSpent(p: ControlPlane): Promise<number> {
  const out = await p.store.db.send(
    new QueryCommand({
      TableName: p.store.table,
      KeyConditionExpression: "pk = :pk",
      ExpressionAttributeValues: { ":pk": "action-budget" },
      ConsistentRead: true,
    }),
  );
  return (out.Items ?? []).reduce((sum, item) => sum + Number(item.used ?? 0), 0);
}

describe("cost intake across a failed StartExecution", () => {
  it("starts the anomaly's one response when Lambda retries a delivery whose StartExecution was throttled", async ({
    startCostPlane,
  }) => {
    const p = await startCostPlane();
    throttleStart(p, 1);

    await deliverAndRetry(p, alert());

    const starts = p.account.callsOf({ action: "StartExecution", principal: "switchyard-cost-intake" });
    expect(starts.map((c) => c.error)).toEqual(["ThrottlingException", undefined]);
    // Lambda's retry of the asynchronous invocation, a minute after the first attempt.
    expect(starts.map((c) => Date.parse(c.at) - Date.parse(starts[0]?.at ?? ""))).toEqual([0, 60_000]);
    expect(new Set(starts.map((c) => (c.input as { name?: string }).name))).toEqual(
      new Set(["cost-12345678-abcd-ef12-3456-987654321a12"]),
    );
    expect(costExecutions(p)).toHaveLength(1);
    expect(p.account.lambda.reservedConcurrency("batch-worker")).toBe(5);
    expect((await readResponse(p.store, ANOMALY))?.startInput).toBeUndefined();
    expect((await costAudit(p)).filter((a) => a.decision === "started")).toHaveLength(1);
  });

  it("starts the response from the next alert of the anomaly when every retry of the first was throttled", async ({
    startCostPlane,
  }) => {
    const p = await startCostPlane();
    // The first attempt and Lambda's two retries of the asynchronous invocation, 1 and 3 minutes later.
    throttleStart(p, 3);
    await deliverAndRetry(p, alert());
    expect(costExecutions(p)).toEqual([]);
    expect((await readResponse(p.store, ANOMALY))?.startInput).toBeDefined();

    await p.deliver(grown(1100, "0b9d6f0e-2d35-4c55-9d4f-5f2c7a1e0c01"));

    expect(costExecutions(p)).toHaveLength(1);
    // Started with the input the first alert was judged with, byte for byte.
    expect(JSON.parse(costExecutions(p)[0]?.input ?? "{}")).toMatchObject({
      trigger: { eventId: alert().id },
      anomaly: { impact: { totalImpact: 1001 } },
    });
    expect(p.account.lambda.reservedConcurrency("batch-worker")).toBe(5);
    const audit = await costAudit(p);
    expect(audit.filter((a) => a.decision === "started").map((a) => a.reason)).toEqual([
      expect.stringMatching(/^resumed: an earlier attempt opened the response/),
    ]);
    // The later alert is still judged as the repeat it is.
    expect(audit.filter((a) => a.decision === "updated")).toHaveLength(1);
  });

  it("confirms a start that landed when recording it failed: the retry's same name and input start nothing new", async ({
    startCostPlane,
  }) => {
    const p = await startCostPlane();
    // The start lands, but recording it does not: the retry finds the execution running.
    p.account.injectFault({
      service: "dynamodb",
      action: "UpdateItem",
      error: "ProvisionedThroughputExceededException",
      when: (input) => JSON.stringify(input).includes("startInput"),
    });

    await deliverAndRetry(p, alert());

    expect(costExecutions(p)).toHaveLength(1);
    expect(
      p.account
        .callsOf({ action: "StartExecution", principal: "switchyard-cost-intake" })
        .map((c) => c.error),
    ).toEqual([undefined, undefined]);
    expect((await readResponse(p.store, ANOMALY))?.startInput).toBeUndefined();
    expect((await costAudit(p)).filter((a) => a.decision === "started")).toHaveLength(1);
  });

  it("spends the action budget once for a response whose StartExecution was throttled and retried", async ({
    startCostPlane,
  }) => {
    const p = await startCostPlane();
    throttleStart(p, 1);

    await deliverAndRetry(p, alert());

    expect(p.account.lambda.reservedConcurrency("batch-worker")).toBe(5);
    expect(await budgetSpent(p)).toBe(1);
  });

  it("spends the action budget once when the apply step is retried after taking it", async ({
    startCostPlane,
  }) => {
    const p = await startCostPlane();
    // The write-ahead record of batch-worker's cap, right after the budget was taken, fails once:
    // Step Functions retries the apply step.
    failRecording(p, "applying", "batch-worker");

    await p.deliver(alert());

    expect(p.account.lambda.reservedConcurrency("batch-worker")).toBe(5);
    expect(
      p.account
        .callsOf({ service: "dynamodb", action: "UpdateItem" })
        .filter((c) => JSON.stringify(c.input).includes("action-budget")),
    ).toHaveLength(2);
    expect(await budgetSpent(p)).toBe(1);
  });
});
