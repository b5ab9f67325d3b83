import type { CoreDeps } from "../context.ts";
import { ErrorNames, SwitchyardError } from "../errors.ts";
import { parseWith, type StepSpec } from "../unit.ts";
import { readCarried } from "./carried.ts";
import { FailoverStepPayload } from "./input.ts";
import { type Carried, FAILOVER_ACTIONS, type FailoverStepAction, failoverSteps } from "./steps.ts";

const invalidInput = (message: string) => new SwitchyardError(ErrorNames.InvalidInput, message);

/**
 * The failover (and failback) state machines' steps: the failover-steps function runs them. The
 * input is completed here: a manual start from the console names no trigger or correlation id.
 */
export const failoverStepSpec: StepSpec<FailoverStepAction, CoreDeps, Carried, FailoverStepPayload> = {
  actions: FAILOVER_ACTIONS,
  payload: (raw) =>
    parseWith(FailoverStepPayload, raw, (issues) => invalidInput(`invalid failover step payload: ${issues}`)),
  action: (payload) => payload.action,
  unknown: (action, known) =>
    invalidInput(`unknown failover step "${action}"; expected one of ${known.join(", ")}`),
  input: readCarried,
  logKeys: (payload) => ({ executionArn: payload.execution }),
  steps: failoverSteps,
};
