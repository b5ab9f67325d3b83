import { ErrorNames, ExecutionErrors, StatesErrors } from "../errors.ts";
import { type ChoiceRule, humanApproval, lambdaTask, type State } from "./asl.ts";

/** The deploy-steps actions the approval gates add. */
export type DeployGateAction = "awaitApproval" | "approvalTimedOut" | "approvalRollback";

/**
 * The Choice rule that enters the approval gates when the step's guarded shift found the checks
 * clean but an approval due before it ("Shifted?"). Without approvals in the input the shift
 * never says so, and the execution runs the states it ran before.
 */
export const enterApprovalGate: ChoiceRule = {
  Variable: "$.shift.value.verdict",
  StringEquals: "approval",
  Next: "ApprovalDue",
};

const onStale = { ErrorEquals: [ErrorNames.Stale], Next: "Stale", ResultPath: "$.error" };

/**
 * The states of the approval gates, to spread into the deploy machine's States: before a step
 * with a gate (and not yet answered for it), wait for a human (task token, bounded by the gate's
 * timeout); approve → the step shifts; deny, or the timeout with onTimeout "rollback" → roll
 * back; the timeout with onTimeout "promote" → audited, then the step shifts.
 */
export function deployGateStates(fn: string): Record<string, State> {
  return {
    ApprovalDue: {
      Type: "Pass",
      Comment: "The gate before this step, or null",
      Parameters: { "gate.$": "States.ArrayGetItem($.approvalGates.byStep, $.progress.index)" },
      ResultPath: "$.approvalCheck",
      Next: "ApprovalDue?",
    },
    "ApprovalDue?": {
      Type: "Choice",
      Choices: [
        { Variable: "$.approvalCheck.gate", IsNull: true, Next: "Shift" },
        {
          And: [
            { Variable: "$.approval.index", IsPresent: true },
            { Variable: "$.approval.index", NumericEqualsPath: "$.progress.index" },
          ],
          Next: "Shift",
        },
      ],
      Default: "WaitForApprovalToShift",
    },
    ...humanApproval<"WaitForApprovalToShift", DeployGateAction>(
      "WaitForApprovalToShift",
      fn,
      "awaitApproval",
      {
        Comment: "Waits for `switchyard approve|deny DEPLOYMENT`; the answer carries who and why",
        TimeoutSecondsPath: "$.approvalCheck.gate.timeoutSeconds",
        ResultPath: "$.approval",
        Catch: [
          { ErrorEquals: [StatesErrors.Timeout], Next: "ApprovalTimedOut?", ResultPath: "$.error" },
          { ErrorEquals: [ErrorNames.ApprovalRejected], Next: "ApprovalRollback", ResultPath: "$.error" },
          onStale,
          {
            ErrorEquals: [ErrorNames.ConfigError, ErrorNames.InvalidInput, ErrorNames.Permanent],
            Next: "Abandon",
            ResultPath: "$.error",
          },
        ],
        next: "Shift",
      },
    ),
    "ApprovalTimedOut?": {
      Type: "Choice",
      Choices: [
        {
          Variable: "$.approvalCheck.gate.onTimeout",
          StringEquals: "promote",
          Next: "ApprovalTimeoutPromote",
        },
      ],
      Default: "ApprovalRollback",
    },
    ApprovalTimeoutPromote: lambdaTask<DeployGateAction>(fn, "approvalTimedOut", {
      ResultSelector: { "index.$": "$.Payload.index", "decision.$": "$.Payload.decision" },
      ResultPath: "$.approval",
      Catch: [onStale],
      next: "Shift",
    }),
    ApprovalRollback: lambdaTask<DeployGateAction>(fn, "approvalRollback", {
      ResultPath: "$.result",
      Catch: [onStale],
      next: "ApprovalRolledBack",
    }),
    ApprovalRolledBack: {
      Type: "Fail",
      Error: ExecutionErrors.RolledBack,
      Cause:
        "The step's approval was denied, or not given in time with onTimeout rollback: the alias is back on the stable version",
    },
  };
}
