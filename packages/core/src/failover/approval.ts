import { DescribeAlarmsCommand } from "@aws-sdk/client-cloudwatch";
import {
  DescribeExecutionCommand,
  SendTaskFailureCommand,
  SendTaskSuccessCommand,
} from "@aws-sdk/client-sfn";
import type { CoreDeps } from "../context.ts";
import { awsStep, ErrorNames, SwitchyardError } from "../errors.ts";
import { notify } from "../notify/notify.ts";
import { recordAudit } from "../store/state.ts";
import { audit, type Preflight, type Step } from "./carried.ts";
import type { FailoverInput } from "./input.ts";
import {
  clearApproval,
  type FailoverRecord,
  readFailover,
  readHealthSignal,
  updateFailover,
} from "./records.ts";

/**
 * A human's say before a failover writes anything: the request (a task token kept on the
 * runbook's record), the answer (`switchyard failover approve`, or the trigger's auto-approval),
 * and the timeout. Mirrors cost/approval.ts.
 */

/** Keeps the task token on the runbook's record and asks the operators to approve. */
export const requestApproval: Step = async (deps, input, payload) => {
  if (!payload.taskToken)
    throw new SwitchyardError(ErrorNames.InvalidInput, "requestApproval needs a task token");
  await updateFailover(deps.store, input.runbook, {
    approval: {
      token: payload.taskToken,
      executionArn: payload.execution,
      requestedAt: deps.now().toISOString(),
    },
  });
  const lag = input.preflight?.value.lagSeconds;
  await audit(
    deps,
    input,
    payload,
    "approval-requested",
    `waiting up to ${input.approval.timeoutSeconds} s for a human`,
  );
  await notify(deps, input.notifyTopicArn, `Switchyard: approve failover ${input.runbook}?`, {
    runbook: input.runbook,
    from: input.primaryRegion,
    to: input.secondaryRegion,
    replicaLagSeconds: lag ?? null,
    approve: `switchyard failover approve ${input.runbook}`,
    deny: `switchyard failover deny ${input.runbook} --reason WHY`,
    expiresInSeconds: input.approval.timeoutSeconds,
  });
  return { requested: true };
};

/** Nobody answered in time: the token is dropped and nothing changes. */
export const approvalTimedOut: Step = async (deps, input, payload) => {
  await updateFailover(deps.store, input.runbook, {}, ["approval"]);
  const reason = `nobody approved within ${input.approval.timeoutSeconds} s: nothing was changed`;
  await audit(deps, input, payload, "approval-timed-out", reason);
  await notify(deps, input.notifyTopicArn, `Switchyard: failover ${input.runbook} not approved in time`, {
    runbook: input.runbook,
    reason,
  });
  return null;
};

type Approval = NonNullable<FailoverRecord["approval"]>;

/**
 * The runbook's pending approval, if the execution that asked for it still runs. An execution
 * that ended without an answer (stopped from the console, failed, timed out) can clear nothing
 * itself: its approval is cleared here, audited, and no longer blocks the next failover.
 */
export async function pendingApproval(deps: CoreDeps, runbook: string): Promise<Approval | undefined> {
  const approval = (await readFailover(deps.store, runbook))?.approval;
  if (!approval) return undefined;
  const status = await executionStatus(deps, approval.executionArn);
  if (status === "RUNNING") return approval;
  await dropApproval(
    deps,
    runbook,
    approval,
    "approval-cleared",
    `execution ${approval.executionArn} ended ${status} without an answer: its approval no longer blocks ${runbook}`,
  );
  return undefined;
}

async function executionStatus(deps: CoreDeps, executionArn: string): Promise<string> {
  try {
    const out = await awsStep("read the waiting execution", () =>
      deps.clients.sfn.send(new DescribeExecutionCommand({ executionArn })),
    );
    return String(out.status);
  } catch (error) {
    if ((error as Error).name === "ExecutionDoesNotExist") return "gone";
    throw error;
  }
}

async function dropApproval(
  deps: CoreDeps,
  runbook: string,
  approval: Approval,
  decision: string,
  reason: string,
  details?: Record<string, unknown>,
): Promise<void> {
  if (!(await clearApproval(deps.store, runbook, approval.token))) return;
  await recordAudit(deps.store, {
    reaction: "failover",
    decision,
    reason,
    subject: runbook,
    executionArn: approval.executionArn,
    ...(details ? { details } : {}),
  });
}

/** Step Functions' answer to a token whose execution no longer waits for it. */
const NOT_WAITING = new Set(["TaskTimedOut", "TaskDoesNotExist", "InvalidToken"]);

/**
 * Approves or denies the failover of `runbook` that waits for a human (`switchyard failover
 * approve|deny`). A denial also clears an approval whose execution has ended, so it always
 * leaves the runbook free for the next failover; who denied and why are audited.
 */
export async function answerApproval(
  deps: CoreDeps,
  runbook: string,
  answer: { approve: boolean; by: string; reason?: string },
): Promise<{ executionArn: string }> {
  const recorded = (await readFailover(deps.store, runbook))?.approval;
  const record = answer.approve ? await pendingApproval(deps, runbook) : recorded;
  if (!record)
    throw new SwitchyardError(
      ErrorNames.InvalidInput,
      recorded
        ? `the failover of runbook ${runbook} that waited for approval has ended: start a new one`
        : `no failover of runbook ${runbook} is waiting for approval`,
    );
  const { token, executionArn } = record;
  const why = answer.reason ? `: ${answer.reason}` : "";
  try {
    await awsStep("answer approval", () =>
      answer.approve
        ? deps.clients.sfn.send(
            new SendTaskSuccessCommand({
              taskToken: token,
              output: JSON.stringify({ approvedBy: answer.by, at: deps.now().toISOString() }),
            }),
          )
        : deps.clients.sfn.send(
            new SendTaskFailureCommand({
              taskToken: token,
              error: ErrorNames.ApprovalRejected,
              cause: `rejected by ${answer.by}${why}`,
            }),
          ),
    );
  } catch (error) {
    if (!NOT_WAITING.has((error as Error).name)) throw error;
    // The execution stopped, failed or timed out between the read and the answer.
    await dropApproval(
      deps,
      runbook,
      record,
      answer.approve ? "approval-cleared" : "rejected",
      answer.approve
        ? `execution ${executionArn} no longer waits (${(error as Error).name}): its approval is cleared`
        : `rejected by ${answer.by}${why} (execution ${executionArn} had already ended)`,
      { by: answer.by, ...(answer.reason ? { why: answer.reason } : {}) },
    );
    if (answer.approve)
      throw new SwitchyardError(
        ErrorNames.InvalidInput,
        `the failover of runbook ${runbook} that waited for approval has ended: start a new one`,
      );
    return { executionArn };
  }
  await updateFailover(deps.store, runbook, {}, ["approval"]);
  await recordAudit(deps.store, {
    reaction: "failover",
    decision: answer.approve ? "approved" : "rejected",
    reason: `${answer.approve ? "approved" : "rejected"} by ${answer.by}${why}`,
    subject: runbook,
    executionArn,
    details: { by: answer.by, ...(answer.reason ? { why: answer.reason } : {}) },
  });
  return { executionArn };
}

/** The two independent signals auto-approval needs: a trigger alarm in ALARM now, and an open AWS Health issue for the primary region. */
export async function approvalSignals(
  deps: CoreDeps,
  input: Pick<FailoverInput, "signals" | "primaryRegion">,
): Promise<Preflight["signals"]> {
  let alarm: string | null = null;
  if (input.signals.alarms.length > 0) {
    const out = await awsStep("read trigger alarms", () =>
      // Composite alarms too: DescribeAlarms answers metric alarms only unless AlarmTypes says so.
      deps.clients.cloudwatch.send(
        new DescribeAlarmsCommand({
          AlarmNames: input.signals.alarms,
          AlarmTypes: ["MetricAlarm", "CompositeAlarm"],
        }),
      ),
    );
    alarm =
      [...(out.MetricAlarms ?? []), ...(out.CompositeAlarms ?? [])].find((a) => a.StateValue === "ALARM")
        ?.AlarmName ?? null;
  }
  const health = await readHealthSignal(deps.store, input.primaryRegion);
  return { alarm, health: health?.eventArn ?? null };
}
