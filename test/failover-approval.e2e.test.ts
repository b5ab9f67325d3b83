import { StopExecutionCommand } from "@aws-sdk/client-sfn";
import { describe, expect, it } from "vitest";
import type { ControlPlane } from "../packages/cli/src/local/control-plane.ts";
import { answerApproval } from "../packages/core/src/failover/approval.ts";
import { readFailover } from "../packages/core/src/failover/records.ts";
import { listAudit } from "../packages/core/src/store/state.ts";
import { runbookSetUp, writesIn } from "./support/failover.ts";
import { fixture } from "./support/scenario.ts";

/**
 * Issue #11, finding 9: a failover run that ended while it waited for approval (stopped from
 * the console, failed) left its pending approval on the runbook's record, and every later
 * failover of the runbook was answered "already waiting for approval".
 */

const setUp = runbookSetUp();

/** The health-check alarm fires (the AWS sample), under a new event id each time. */
async function alarmFires(p: ControlPlane, id: string) {
  p.account.cloudwatch.observeState("ignition-primary-health", "ALARM");
  return p.deliver({ ...(fixture("aws/health/route53-health-check-alarm.json") as object), id } as never);
}

const failovers = (p: ControlPlane) =>
  p.account.sfn.executions().filter((e) => e.stateMachineArn.endsWith(":switchyard-failover"));

describe("a failover run that ended while waiting for approval (issue #11, finding 9)", () => {
  it("stopped from the console does not block the next failover, and the stale approval is cleared and audited", async () => {
    const p = await setUp();
    await alarmFires(p, "3b2e1c6d-0000-4000-8000-000000000001");
    const [first] = failovers(p);
    await p.clients.sfn.send(new StopExecutionCommand({ executionArn: first?.arn }));
    await p.settle();

    const next = await alarmFires(p, "3b2e1c6d-0000-4000-8000-000000000002");

    expect(first?.status).toBe("ABORTED");
    expect(next.outcomes.map((o) => o.result)).toContainEqual(
      expect.objectContaining({ reaction: "failover", outcome: "started" }),
    );
    expect(failovers(p).map((e) => e.status)).toEqual(["ABORTED", "RUNNING"]);
    expect((await readFailover(p.store, "ignition"))?.approval?.executionArn).toBe(failovers(p)[1]?.arn);
    expect((await listAudit(p.store)).find((a) => a.decision === "approval-cleared")?.reason).toMatch(
      /ended ABORTED without an answer/,
    );
    await answerApproval(p.context, "ignition", { approve: true, by: "oncall@example.com" });
    await p.runOut();
    expect(failovers(p).map((e) => e.status)).toEqual(["ABORTED", "SUCCEEDED"]);
  });

  it("failed while asking for approval does not block the next failover", async () => {
    const p = await setUp();
    // The approval is on record, then its audit write keeps failing: the step's retries run out.
    let failing = true;
    p.account.injectFault({
      service: "dynamodb",
      action: "PutItem",
      error: "ProvisionedThroughputExceededException",
      times: 100,
      when: (input) => failing && JSON.stringify(input).includes("approval-requested"),
    });
    await alarmFires(p, "3b2e1c6d-0000-4000-8000-000000000003");
    await p.runOut();
    failing = false;

    const next = await alarmFires(p, "3b2e1c6d-0000-4000-8000-000000000004");

    expect(failovers(p)[0]?.status).toBe("FAILED");
    expect(next.outcomes.map((o) => o.result)).toContainEqual(
      expect.objectContaining({ reaction: "failover", outcome: "started" }),
    );
  });

  it("`failover deny` clears the approval of a run that already ended, recording who and why", async () => {
    const p = await setUp();
    await alarmFires(p, "3b2e1c6d-0000-4000-8000-000000000005");
    const [first] = failovers(p);
    await p.clients.sfn.send(new StopExecutionCommand({ executionArn: first?.arn }));
    await p.settle();

    await answerApproval(p.context, "ignition", {
      approve: false,
      by: "oncall@example.com",
      reason: "stopped by hand during the drill",
    });

    expect((await readFailover(p.store, "ignition"))?.approval).toBeUndefined();
    const rejected = (await listAudit(p.store)).find((a) => a.decision === "rejected");
    expect(rejected?.reason).toBe(
      `rejected by oncall@example.com: stopped by hand during the drill (execution ${first?.arn} had already ended)`,
    );
    expect(writesIn(p.account.calls)).toEqual([]);
  });

  it("`failover deny` rejects a run that waits, which then ends without writing anything", async () => {
    const p = await setUp();
    await alarmFires(p, "3b2e1c6d-0000-4000-8000-000000000006");

    await answerApproval(p.context, "ignition", {
      approve: false,
      by: "oncall@example.com",
      reason: "false alarm",
    });
    await p.runOut();

    expect(failovers(p)[0]).toMatchObject({ status: "FAILED", error: "ApprovalRejected" });
    expect((await readFailover(p.store, "ignition"))?.approval).toBeUndefined();
    expect((await listAudit(p.store)).find((a) => a.decision === "rejected")?.details).toEqual({
      by: "oncall@example.com",
      why: "false alarm",
    });
    expect(writesIn(p.account.calls)).toEqual([]);
  });
});
