import { ErrorNames, ExecutionErrors, StatesErrors } from "../errors.ts";
import { type ChoiceRule, lambdaTask, type State, waitForToken } from "./asl.ts";

/** The deploy-steps actions the traffic hooks add. */
export type DeployHookAction = "runTrafficHook" | "trafficHookFailed";

/** The deploy input's hook lists (present only when the deployment has hooks of that phase). */
const PHASES = {
  BeforeAllowTraffic: { list: "$.preTrafficHooks", exit: "Shift" },
  AfterAllowTraffic: { list: "$.postTrafficHooks", exit: "Finish" },
} as const;

/**
 * Choice rules that enter a phase's hooks, for the Choices that lead to the first alarm check
 * (before traffic) and to Finish (after 100%). Without hooks they never match, and the
 * execution runs the states it ran before.
 */
export const enterPreTrafficHooks: ChoiceRule = {
  Variable: PHASES.BeforeAllowTraffic.list,
  IsPresent: true,
  Next: "BeforeAllowTraffic",
};
export const enterPostTrafficHooks: ChoiceRule = {
  And: [
    { Variable: "$.shift.value.done", BooleanEquals: true },
    { Variable: PHASES.AfterAllowTraffic.list, IsPresent: true },
  ],
  Next: "AfterAllowTraffic",
};

/**
 * The states of the traffic hooks, to spread into the deploy machine's States: for each phase a
 * loop over its hooks (pick → run and wait for the report → next), each hook one task-token wait
 * bounded by the hook's timeout; a failure or a timeout ends in `trafficHookFailed`.
 */
export function deployHookStates(fn: string): Record<string, State> {
  const states: Record<string, State> = {};
  for (const [phase, { list, exit }] of Object.entries(PHASES)) {
    const pick = (index: string) => ({
      "index.$": index,
      "end.$": `States.ArrayLength(${list})`,
      "hook.$": `States.ArrayGetItem(${list}, ${index})`,
    });
    Object.assign(states, {
      [phase]: {
        Type: "Pass",
        Comment: `Run the ${phase} hooks in order`,
        Parameters: {
          index: 0,
          "end.$": `States.ArrayLength(${list})`,
          "hook.$": `States.ArrayGetItem(${list}, 0)`,
        },
        ResultPath: "$.hookRun",
        Next: `${phase}Hook`,
      },
      [`${phase}Hook`]: waitForToken<DeployHookAction>(fn, "runTrafficHook", {
        Comment: "Starts the hook (a Lambda function or an HTTP probe); its report answers the token",
        TimeoutSecondsPath: "$.hookRun.hook.timeoutSeconds",
        ResultPath: "$.hookResult",
        Catch: [
          {
            ErrorEquals: [ErrorNames.HookFailed, StatesErrors.Timeout],
            Next: `${phase}HookFailed`,
            ResultPath: "$.error",
          },
          { ErrorEquals: [ErrorNames.Stale], Next: "Stale", ResultPath: "$.error" },
          {
            ErrorEquals: [ErrorNames.ConfigError, ErrorNames.InvalidInput, ErrorNames.Permanent],
            Next: "Abandon",
            ResultPath: "$.error",
          },
        ],
        next: `${phase}Next`,
      }),
      [`${phase}Next`]: {
        Type: "Pass",
        Parameters: { "index.$": "States.MathAdd($.hookRun.index, 1)", "end.$": "$.hookRun.end" },
        ResultPath: "$.hookRun",
        Next: `${phase}More?`,
      },
      [`${phase}More?`]: {
        Type: "Choice",
        Choices: [{ Variable: "$.hookRun.index", NumericGreaterThanEqualsPath: "$.hookRun.end", Next: exit }],
        Default: `${phase}Pick`,
      },
      [`${phase}Pick`]: {
        Type: "Pass",
        Parameters: pick("$.hookRun.index"),
        ResultPath: "$.hookRun",
        Next: `${phase}Hook`,
      },
      [`${phase}HookFailed`]: lambdaTask<DeployHookAction>(fn, "trafficHookFailed", {
        ResultPath: "$.result",
        Catch: [{ ErrorEquals: [ErrorNames.Stale], Next: "Stale", ResultPath: "$.error" }],
        next: `${phase}Failed`,
      }),
      [`${phase}Failed`]: {
        Type: "Fail",
        Error:
          phase === "BeforeAllowTraffic" ? ExecutionErrors.DeploymentAbandoned : ExecutionErrors.RolledBack,
        Cause:
          phase === "BeforeAllowTraffic"
            ? "A BeforeAllowTraffic hook failed or did not report in time: the alias never left the stable version"
            : "An AfterAllowTraffic hook failed or did not report in time: the alias is back on the stable version",
      },
    });
  }
  return states;
}
