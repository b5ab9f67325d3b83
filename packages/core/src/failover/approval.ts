import { DescribeAlarmsCommand } from "@aws-sdk/client-cloudwatch";
import { SendTaskFailureCommand, SendTaskSuccessCommand } from "@aws-sdk/client-sfn";
import type { CoreDeps } from "../context.ts";
import { awsStep, ErrorNames, SwitchyardError } from "../errors.ts";
import { notify } from "../notify/notify.ts";
import { recordAudit } from "../store/state.ts";
import { audit, type Preflight, type Step } from "./carried.ts";
import type { FailoverInput } from "./input.ts";
import { readFailover, readHealthSignal, updateFailover } from "./records.ts";

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

/** Approves (or rejects) the failover of `runbook` that waits for a human. */
export async function answerApproval(
  deps: CoreDeps,
  runbook: string,
  answer: { approve: boolean; by: string; reason?: string },
): Promise<{ executionArn: string }> {
  const record = await readFailover(deps.store, runbook);
  if (!record?.approval)
    throw new SwitchyardError(
      ErrorNames.InvalidInput,
      `no failover of runbook ${runbook} is waiting for approval`,
    );
  const { token, executionArn } = record.approval;
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
            cause: `rejected by ${answer.by}${answer.reason ? `: ${answer.reason}` : ""}`,
          }),
        ),
  );
  await updateFailover(deps.store, runbook, {}, ["approval"]);
  await recordAudit(deps.store, {
    reaction: "failover",
    decision: answer.approve ? "approved" : "rejected",
    reason: `${answer.approve ? "approved" : "rejected"} by ${answer.by}`,
    subject: runbook,
    executionArn,
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
