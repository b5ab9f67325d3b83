import { ErrorNames, ExecutionErrors, StatesErrors } from "../errors.ts";
import {
  catchTo,
  humanApproval,
  type LambdaTaskOptions,
  lambdaTask,
  type StateMachineDefinition,
  type TaskState,
  type TokenTaskOptions,
  waitForToken,
  whenEquals,
} from "./asl.ts";

/** The cost-steps actions the workflow calls, by name. */
export type CostStep =
  | "plan"
  | "requestApproval"
  | "approvalEnded"
  | "apply"
  | "applyFailed"
  | "watch"
  | "revert"
  | "revertFailed";

const onStale = catchTo([ErrorNames.Stale], "StaleEnd");

/**
 * The cost-response state machine: one execution per anomaly (its name derives from the
 * anomaly id). Plan the tier's actions → wait for a human's approval when a destructive one is
 * among them (a timeout ends with no action) → apply, recording each resource as it is
 * changed → watch the anomaly: a repeat that escalates comes back to Plan with the higher
 * tier, a resolution or the TTL reverts what was applied, guarded by the value Switchyard set.
 * State lives in the response record, so a replay of the input never applies anything twice.
 */
export function costResponseDefinition(costStepsFunctionArn: string): StateMachineDefinition {
  const fn = costStepsFunctionArn;
  const task = (action: CostStep, next: string | undefined, options: LambdaTaskOptions = {}): TaskState =>
    lambdaTask(fn, action, { next, ...options });
  const tokenTask = (action: CostStep, options: TokenTaskOptions): TaskState =>
    waitForToken(fn, action, options);
  return {
    Comment: "Switchyard cost response: plan, approve destructive actions, apply, watch the anomaly, revert",
    StartAt: "Plan",
    States: {
      Plan: task("plan", "NeedsApproval?", { ResultPath: "$.plan", Catch: [onStale] }),
      "NeedsApproval?": {
        Type: "Choice",
        Choices: [{ Variable: "$.plan.value.needsApproval", BooleanEquals: true, Next: "WaitForApproval" }],
        Default: "Apply",
      },
      ...humanApproval("WaitForApproval", fn, "requestApproval" satisfies CostStep, {
        Comment:
          "A destructive action waits for `switchyard approve|deny <anomalyId>` (SendTaskSuccess); a timeout does nothing",
        TimeoutSecondsPath: "$.approvalTimeoutSeconds",
        ResultPath: "$.approval",
        Catch: [catchTo([StatesErrors.Timeout], "ApprovalEnded"), onStale],
        next: "Approved?",
      }),
      "Approved?": {
        Type: "Choice",
        Choices: [{ Variable: "$.approval.decision", StringEquals: "approve", Next: "Apply" }],
        Default: "ApprovalEnded",
      },
      ApprovalEnded: task("approvalEnded", "Watch", { ResultPath: null, Catch: [onStale] }),
      Apply: task("apply", "Watch", {
        ResultPath: "$.result",
        Catch: [onStale, catchTo([StatesErrors.ALL], "ApplyFailed")],
      }),
      // Recording the failure may fail too: what was applied is still watched and reverted.
      ApplyFailed: task("applyFailed", "Watch", {
        ResultPath: null,
        Catch: [onStale, { ErrorEquals: [StatesErrors.ALL], Next: "Watch", ResultPath: null }],
      }),
      Watch: tokenTask("watch", {
        Comment:
          "Waits for the anomaly's next alert (escalation or resolution); the TTL running out reverts what was applied",
        TimeoutSecondsPath: "$.ttlSeconds",
        // The answer is the next input, whole: the escalated tier, or the resolution. (Written as
        // ResultPath + OutputPath, which AWS treats as ResultPath "$"; aws-local-stepfunctions
        // 3.0.0 keeps the state's input for ResultPath "$".)
        ResultPath: "$.next",
        OutputPath: "$.next",
        // The TTL, or a watch that cannot go on (a permanent error), reverts what was applied.
        Catch: [
          catchTo([StatesErrors.Timeout], "Revert"),
          onStale,
          catchTo([StatesErrors.ALL], "SettleBeforeRevert"),
        ],
        next: "Signal?",
      }),
      "Signal?": {
        Type: "Choice",
        Choices: whenEquals("$.signal", { escalate: "Plan", resolved: "Revert" }),
        Default: "Watch",
      },
      SettleBeforeRevert: {
        Type: "Wait",
        Comment:
          "Watch failed right after Apply: what was just stopped may still be stopping, and cannot be started before it has stopped",
        Seconds: 300,
        Next: "Revert",
      },
      Revert: task("revert", "Reverted", {
        ResultPath: "$.result",
        Catch: [onStale, catchTo([StatesErrors.ALL], "RevertFailed")],
      }),
      Reverted: { Type: "Succeed", Comment: "What was applied is reverted, or left as a human changed it" },
      RevertFailed: task("revertFailed", "RevertIncomplete", { ResultPath: null }),
      RevertIncomplete: {
        Type: "Fail",
        Error: ExecutionErrors.RevertIncomplete,
        Cause:
          "Some changes could not be reverted: the audit log lists each one; a redrive retries the revert",
      },
      StaleEnd: {
        Type: "Fail",
        Error: ErrorNames.Stale,
        Cause: "The anomaly's response is owned by another execution or has ended: nothing was changed",
      },
    },
  };
}
