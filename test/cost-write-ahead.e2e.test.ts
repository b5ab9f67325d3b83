import { describe, expect } from "vitest";
import type { ControlPlane } from "../packages/cli/src/local/control-plane.ts";
import { decideApproval } from "../packages/core/src/cost/approval.ts";
import { readResponse } from "../packages/core/src/cost/record.ts";
import {
  ANOMALY,
  alert,
  costAudit,
  costConfig,
  failRecording,
  grown,
  it,
  reserveConcurrency,
  resolved,
  seedStopWorld,
  WORKER,
  withStopActions,
} from "./support/cost.ts";

/**
 * Issue #11, finding 8: a DynamoDB failure right after the write (recording what was applied)
 * made the retry re-read the resource and record Switchyard's own value as "previous", so the
 * revert restored the cap, or left the instance stopped.
 */

async function resolve(p: ControlPlane): Promise<void> {
  await p.deliver(resolved("0b9d6f0e-2d35-4c55-9d4f-5f2c7a1e0f99") as never);
  await p.runOut();
}

describe("cost actions write ahead (issue #11, finding 8)", () => {
  it("records the function's own reserved concurrency, not Switchyard's cap, when recording the cap fails once, and the revert restores it", async ({
    startCostPlane,
  }) => {
    const p = await startCostPlane(costConfig());
    await reserveConcurrency(p, "batch-worker", 50);
    failRecording(p, "applied", "batch-worker");

    await p.deliver(alert() as never);
    const applied = (await readResponse(p.store, ANOMALY))?.applied["cap-lambda-concurrency:batch-worker"];
    await resolve(p);

    expect(applied).toMatchObject({ status: "applied", previous: 50, set: 5 });
    expect(p.account.lambda.reservedConcurrency("batch-worker")).toBe(50);
    expect(
      p.account
        .callsOf({ service: "dynamodb", action: "UpdateItem" })
        .filter((c) => c.error === "ProvisionedThroughputExceededException"),
    ).toHaveLength(1);
  });

  it("records an instance it stopped as running before the stop, never stopping, and starts it again on revert", async ({
    startCostPlane,
  }) => {
    const stops = withStopActions();
    const p = await startCostPlane(costConfig(stops));
    seedStopWorld(p);
    failRecording(p, "applied", WORKER);

    await p.deliver(grown(6000, "0b9d6f0e-2d35-4c55-9d4f-5f2c7a1e0f98") as never);
    await decideApproval(p.context, ANOMALY, "approve", "alice");
    await p.settle();
    p.account.clock.tick(10 * 60_000);
    await p.settle();
    const applied = (await readResponse(p.store, ANOMALY))?.applied[`stop-ec2-instances:${WORKER}`];
    await resolve(p);

    expect(applied).toMatchObject({ status: "applied", previous: "running", set: "stopped" });
    expect(p.account.ec2.state(WORKER)).toBe("running");
    expect(
      (await costAudit(p)).find((a) => a.decision === "reverted" && a.details?.target === WORKER)?.reason,
    ).toMatch(/started again/);
  });
});
