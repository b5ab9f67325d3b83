import { AwsErrors, ErrorNames, ExecutionErrors, StatesErrors } from "../errors.ts";
import {
  type Catcher,
  catchTo,
  humanApproval,
  type JsonValue,
  type LambdaTaskOptions,
  lambdaTask,
  type Retrier,
  type StateMachineDefinition,
  sdkResource,
  sdkRetry,
  type TaskState,
  type TokenTaskOptions,
  waitForToken,
  whenEquals,
} from "./asl.ts";

/** The cost-steps actions the workflow calls, by name. */
export type CostStep =
  | "plan"
  | "prepareStops"
  | "requestApproval"
  | "approvalEnded"
  | "apply"
  | "applyFailed"
  | "watch"
  | "revert"
  | "revertFailed";

const onStale = catchTo([ErrorNames.Stale], "StaleEnd");

/**
 * EC2's transient errors as Step Functions' AWS SDK integration names them (`Ec2.<Code>`):
 * the common ones, and EC2's own throttling code, RequestLimitExceeded
 * (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/throttling.html).
 * https://docs.aws.amazon.com/step-functions/latest/dg/supported-services-awssdk.html
 */
const ec2Transient = [...sdkRetry("Ec2").ErrorEquals, ...AwsErrors.Ec2Throttled];
const ec2Retry: Retrier = { ...sdkRetry("Ec2"), ErrorEquals: ec2Transient };

/**
 * An EC2 call the state machine makes itself (ADR 0030): Step Functions' AWS SDK integration
 * (`arn:aws:states:::aws-sdk:ec2:<action>`, the action camelCase, its parameters PascalCase as
 * in the EC2 API), as the state machine's role, retried on EC2's transient errors.
 * https://docs.aws.amazon.com/step-functions/latest/dg/supported-services-awssdk.html
 */
const ec2Task = (
  action: "describeInstances" | "stopInstances" | "startInstances",
  parameters: Record<string, JsonValue>,
  options: { next: string; resultPath: string | null; catch: Catcher[]; comment: string },
): TaskState => ({
  Type: "Task",
  Comment: options.comment,
  Resource: sdkResource("ec2", action),
  Parameters: parameters,
  ResultPath: options.resultPath,
  Retry: [ec2Retry],
  Catch: options.catch,
  Next: options.next,
});

/** How long the revert waits before it looks again at an instance that is still stopping. */
const SETTLE_SECONDS = 60;

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
        Choices: [
          // The tier stops EC2 instances: the plan needs EC2's answer first.
          { Variable: "$.plan.value.describe", IsPresent: true, Next: "FindForPlan" },
          { Variable: "$.plan.value.needsApproval", BooleanEquals: true, Next: "WaitForApproval" },
          { Variable: "$.plan.value.ec2", BooleanEquals: true, Next: "FindForApply" },
        ],
        Default: "Apply",
      },
      FindForPlan: ec2Task(
        "describeInstances",
        { "Filters.$": "$.plan.value.describe" },
        {
          comment: "The instances the tier's stop-ec2-instances actions may select, for the plan",
          resultPath: "$.ec2Found",
          catch: [],
          next: "Plan",
        },
      ),
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
        Choices: [
          {
            And: [
              { Variable: "$.approval.decision", StringEquals: "approve" },
              { Variable: "$.plan.value.ec2", BooleanEquals: true },
            ],
            Next: "FindForApply",
          },
          { Variable: "$.approval.decision", StringEquals: "approve", Next: "Apply" },
        ],
        Default: "ApprovalEnded",
      },
      // EC2 (ADR 0030): read now, after the approval; prepareStops records each instance
      // `applying` with its state; StopInstances stops them; Apply records what it did.
      FindForApply: ec2Task(
        "describeInstances",
        { "Filters.$": "$.plan.value.filters" },
        {
          comment:
            "The instances the tier's stop-ec2-instances actions may select, read again before stopping",
          resultPath: "$.ec2Found",
          catch: [{ ErrorEquals: [StatesErrors.ALL], Next: "ApplyFailed", ResultPath: "$.error" }],
          next: "PrepareStops",
        },
      ),
      PrepareStops: task("prepareStops", "Stopping?", {
        ResultPath: "$.prepared",
        Catch: [onStale, { ErrorEquals: [StatesErrors.ALL], Next: "ApplyFailed", ResultPath: "$.error" }],
      }),
      "Stopping?": {
        Type: "Choice",
        Choices: [{ Variable: "$.prepared.value.stopping", BooleanEquals: true, Next: "StopInstances" }],
        Default: "Apply",
      },
      StopInstances: ec2Task(
        "stopInstances",
        { "InstanceIds.$": "$.prepared.value.stop" },
        {
          comment:
            "A refusal is recorded by Apply as the instances' failure; a transient error that outlasts the retries may have landed: ApplyFailed, and the revert looks",
          resultPath: "$.stopped",
          catch: [
            { ErrorEquals: ec2Transient, Next: "ApplyFailed", ResultPath: "$.error" },
            { ErrorEquals: [StatesErrors.ALL], Next: "Apply", ResultPath: "$.stopError" },
          ],
          next: "Apply",
        },
      ),
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
      Revert: task("revert", "Reverts?", {
        ResultPath: "$.result",
        Catch: [onStale, catchTo([StatesErrors.ALL], "RevertFailed")],
      }),
      // EC2 (ADR 0030): the revert asks the state machine to look at instances, or to start the
      // ones it recorded `reverting`, and runs again with the answer.
      "Reverts?": {
        Type: "Choice",
        Choices: [
          { Variable: "$.result.value.settle", IsPresent: true, Next: "SettleRevert" },
          { Variable: "$.result.value.describe", IsPresent: true, Next: "DescribeReverts" },
          { Variable: "$.result.value.start", IsPresent: true, Next: "StartInstances" },
        ],
        Default: "Reverted",
      },
      SettleRevert: {
        Type: "Wait",
        Comment:
          "An instance Switchyard stopped is still stopping: it cannot be started before it has stopped",
        Seconds: SETTLE_SECONDS,
        Next: "DescribeReverts",
      },
      DescribeReverts: ec2Task(
        "describeInstances",
        { "InstanceIds.$": "$.result.value.describe" },
        {
          comment: "The instances Switchyard stopped, as they are now, for the revert",
          resultPath: "$.ec2Reverts",
          catch: [{ ErrorEquals: [StatesErrors.ALL], Next: "RevertFailed", ResultPath: "$.error" }],
          next: "Revert",
        },
      ),
      StartInstances: ec2Task(
        "startInstances",
        { "InstanceIds.$": "$.result.value.start" },
        {
          comment: "The instances the revert recorded reverting; Revert then records them reverted",
          resultPath: null,
          catch: [{ ErrorEquals: [StatesErrors.ALL], Next: "RevertFailed", ResultPath: "$.error" }],
          next: "Revert",
        },
      ),
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
