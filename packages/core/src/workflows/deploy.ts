import { ErrorNames, ExecutionErrors, StatesErrors } from "../errors.ts";
import {
  boundedPoll,
  type Catcher,
  type LambdaTaskOptions,
  lambdaTask,
  type Retrier,
  type StateMachineDefinition,
  type TaskState,
  waitForToken,
} from "./asl.ts";
import { type DeployGateAction, deployGateStates, enterApprovalGate } from "./deploy-gates.ts";
import {
  type DeployHookAction,
  deployHookStates,
  enterPostTrafficHooks,
  enterPreTrafficHooks,
} from "./deploy-hooks.ts";

/** The deploy-steps actions the workflow calls, by name. */
export type DeployAction =
  | "validate"
  | "awaitScan"
  | "scanBlocked"
  | "prepare"
  | "codeStatus"
  | "publish"
  | "shift"
  | "finish"
  | "rollback"
  | "stale"
  | "abandon"
  | DeployHookAction
  | DeployGateAction;

/** A RevisionId race: read the alias again and re-decide (the step itself reports stale). */
const retryPrecondition: Retrier = {
  ErrorEquals: [ErrorNames.PreconditionFailed],
  IntervalSeconds: 1,
  MaxAttempts: 2,
};

const onStale: Catcher = { ErrorEquals: [ErrorNames.Stale], Next: "Stale", ResultPath: "$.error" };
/**
 * Errors that retrying cannot fix: put the alias back on the stable version and fail.
 * Anything else (retries exhausted, an AWS outage, a bug) fails the execution in place, at
 * the failed step: the alias stays on a known split, the rollback function still guards it
 * (the deployment record says "shifting"), and a redrive from the console resumes that step.
 */
const onUnfixable: Catcher = {
  ErrorEquals: [ErrorNames.ConfigError, ErrorNames.InvalidInput, ErrorNames.Permanent],
  Next: "Abandon",
  ResultPath: "$.error",
};

/**
 * The deploy state machine: gate the image on its scan, publish a version, then shift the
 * alias step by step, checking the guarding alarms before every step. Its input is
 * self-contained (`DeployInput`): a replay or a redrive from the console does the same thing,
 * and every write is guarded by the expected alias state, so a replay after newer work ends
 * in `Stale` rather than undoing it. Rollback on an alarm does not wait for this machine:
 * the rollback function reacts to the alarm event and stops this execution.
 */
export function deployDefinition(deployStepsFunctionArn: string): StateMachineDefinition {
  const fn = deployStepsFunctionArn;
  const task = (action: DeployAction, next: string | undefined, options: LambdaTaskOptions = {}): TaskState =>
    lambdaTask(fn, action, { next, ...options });
  return {
    Comment:
      "Switchyard deploy: scan gate, publish a version, shift alias traffic with alarm checks between steps",
    StartAt: "Validate",
    States: {
      Validate: task("validate", "ScanGate?", {
        ResultPath: null,
        Catch: [{ ErrorEquals: [ErrorNames.InvalidInput], Next: "InvalidInput", ResultPath: "$.error" }],
      }),
      "ScanGate?": {
        Type: "Choice",
        // Written as IsNull: true (not IsNull: false) because aws-local-stepfunctions 3.0.0
        // evaluates every `IsNull: false` rule as no match; both mean the same on AWS.
        Choices: [{ Variable: "$.scanGate", IsNull: true, Next: "Prepare" }],
        Default: "AwaitScan",
      },
      AwaitScan: waitForToken<DeployAction>(fn, "awaitScan", {
        Comment:
          "Waits for the scan of this digest; the scan-result function answers the token when the scan event arrives",
        TimeoutSecondsPath: "$.scanGate.timeoutSeconds",
        ResultPath: "$.scan",
        Catch: [{ ErrorEquals: [StatesErrors.Timeout], Next: "ScanBlocked", ResultPath: "$.error" }],
        next: "ScanPassed?",
      }),
      "ScanPassed?": {
        Type: "Choice",
        Choices: [{ Variable: "$.scan.decision", StringEquals: "passed", Next: "Prepare" }],
        Default: "ScanBlocked",
      },
      ScanBlocked: task("scanBlocked", "Blocked", { ResultPath: null }),
      Blocked: {
        Type: "Fail",
        Error: ExecutionErrors.ScanGateBlocked,
        Cause:
          "The image's scan findings are at or above the gate's threshold, or the scan did not finish in time",
      },
      Prepare: task("prepare", "DryRun?", {
        ResultPath: "$.release",
        retry: [retryPrecondition],
        Catch: [
          onStale,
          { ErrorEquals: [ErrorNames.DeploymentInProgress], Next: "Superseded", ResultPath: "$.error" },
          onUnfixable,
        ],
      }),
      "DryRun?": {
        Type: "Choice",
        Choices: [
          { Variable: "$.release.value.outcome", StringEquals: "dry-run", Next: "DryRunDone" },
          { Variable: "$.release.value.outcome", StringEquals: "already-deployed", Next: "NothingToDo" },
          // $LATEST already ran the image, its update Successful: nothing to wait for.
          { Variable: "$.release.value.outcome", StringEquals: "updated", Next: "Publish" },
          // Lambda applies the code for a while (LastUpdateStatus InProgress): wait, then poll
          // until Successful. Prepare counts this first check ($.release.value.codeUpdate).
          { Variable: "$.release.value.outcome", StringEquals: "updating", Next: "CodeUpdateWait" },
          enterPreTrafficHooks,
        ],
        Default: "Shift",
      },
      // https://docs.aws.amazon.com/lambda/latest/dg/functions-states.html: after
      // UpdateFunctionCode, LastUpdateStatus is InProgress and PublishVersion fails with
      // ResourceConflictException until the update is Successful.
      ...boundedPoll({
        check: {
          start: "CodeStatus",
          states: {
            CodeStatus: task("codeStatus", "CodeUpdated?", {
              ResultPath: "$.codeStatus",
              Catch: [onStale, onUnfixable],
            }),
          },
        },
        done: {
          state: "CodeUpdated?",
          choices: [{ Variable: "$.codeStatus.value.status", StringEquals: "Successful", Next: "Publish" }],
        },
        counter: {
          path: "$.release.value.codeUpdate",
          max: "$.release.value.maxChecks",
          bound: "CodeUpdateTooSlow?",
          count: "CountCodeCheck",
        },
        wait: { state: "CodeUpdateWait", secondsPath: "$.release.value.pollSeconds" },
        // deploy-watch restores and settles the deployment this Fail leaves claimed (0010).
        timeout: {
          state: "CodeUpdateTimedOut",
          fail: {
            Type: "Fail",
            Error: ExecutionErrors.CodeUpdateTimedOut,
            Cause: "Lambda did not finish the code update within the poll's bound",
          },
        },
      }),
      Publish: task("publish", "Published?", {
        ResultPath: "$.release",
        retry: [retryPrecondition],
        Catch: [onStale, onUnfixable],
      }),
      "Published?": {
        Type: "Choice",
        Choices: [
          { Variable: "$.release.value.outcome", StringEquals: "already-deployed", Next: "NothingToDo" },
          enterPreTrafficHooks,
        ],
        Default: "Shift",
      },
      DryRunDone: { Type: "Succeed", Comment: "Dry run: the plan is in the audit log; nothing was written" },
      NothingToDo: { Type: "Succeed", Comment: "The alias already serves this image" },
      // One Task per step: it checks the guarding alarms (and holds, and a due approval) and
      // shifts only when all is clear; the Choice after it routes on its verdict.
      Shift: task("shift", "Shifted?", {
        ResultPath: "$.shift",
        // No retry on PreconditionFailed here: a lost RevisionId race means someone else wrote
        // the alias (a rollback, a human), and the step reports Stale instead.
        Catch: [onStale, onUnfixable],
      }),
      "Shifted?": {
        Type: "Choice",
        Choices: [
          { Variable: "$.shift.value.verdict", StringEquals: "alarm", Next: "Rollback" },
          { Variable: "$.shift.value.verdict", StringEquals: "hold", Next: "HeldTooLong?" },
          enterApprovalGate,
          enterPostTrafficHooks,
          { Variable: "$.shift.value.done", BooleanEquals: true, Next: "Finish" },
        ],
        Default: "Bake",
      },
      "HeldTooLong?": {
        Type: "Choice",
        Choices: [{ Variable: "$.shift.value.holdsLeft", NumericLessThanEquals: 0, Next: "Abandon" }],
        Default: "Hold",
      },
      Hold: {
        Type: "Pass",
        Comment: "An alarm has INSUFFICIENT_DATA (or automation is paused): hold this step, then check again",
        Parameters: { "index.$": "$.progress.index", "holds.$": "States.MathAdd($.progress.holds, 1)" },
        ResultPath: "$.progress",
        Next: "HoldWait",
      },
      HoldWait: { Type: "Wait", SecondsPath: "$.alarmHold.intervalSeconds", Next: "Shift" },
      Bake: { Type: "Wait", SecondsPath: "$.shift.value.pauseSeconds", Next: "NextStep" },
      NextStep: {
        Type: "Pass",
        Parameters: { "index.$": "States.MathAdd($.progress.index, 1)", holds: 0 },
        ResultPath: "$.progress",
        Next: "Shift",
      },
      Finish: task("finish", "Deployed", { ResultPath: "$.result", Catch: [onStale] }),
      Deployed: { Type: "Succeed" },
      Rollback: task("rollback", "RolledBack", { ResultPath: "$.result", Catch: [onStale] }),
      RolledBack: {
        Type: "Fail",
        Error: ExecutionErrors.RolledBack,
        Cause: "A guarding alarm was in ALARM: the alias is back on the stable version",
      },
      Abandon: task("abandon", "Abandoned", { ResultPath: "$.result", Catch: [onStale] }),
      Abandoned: {
        Type: "Fail",
        Error: ExecutionErrors.DeploymentAbandoned,
        Cause:
          "The deployment could not go on (alarm held too long, a missing alarm, or a failed step): the alias is back on the stable version",
      },
      ...deployHookStates(fn),
      ...deployGateStates(fn),
      Superseded: { Type: "Fail", Error: ErrorNames.DeploymentInProgress, CausePath: "$.error.Cause" },
      InvalidInput: { Type: "Fail", Error: ErrorNames.InvalidInput, CausePath: "$.error.Cause" },
      Stale: task("stale", "StaleEnd", { ResultPath: null }),
      StaleEnd: {
        Type: "Fail",
        Error: ErrorNames.Stale,
        Cause: "The world moved on since this execution's input was made: nothing was changed",
      },
    },
  };
}
