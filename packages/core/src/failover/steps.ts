import type { CoreDeps } from "../context.ts";
import { ErrorNames, SwitchyardError } from "../errors.ts";
import { approvalTimedOut, requestApproval } from "./approval.ts";
import { readCarried, type Step } from "./carried.ts";
import type { FailoverStepPayload } from "./input.ts";
import { planPart, preflight, preflightFailed } from "./planning.ts";
import { writeReport } from "./report.ts";
import { verify } from "./verification.ts";

/**
 * The failover (and failback) state machine's task actions, each mapped to the function that
 * runs it: planning.ts decides, approval.ts asks a human, verification.ts checks the result,
 * report.ts writes it up. `validate` only fills the input's defaults.
 */
const steps: Record<string, Step> = {
  preflight,
  preflightFailed,
  requestApproval,
  approvalTimedOut,
  plan: planPart,
  verify,
  report: writeReport,
};

/** Runs one failover step; `validate` returns the input with defaults filled, the others their result. */
export async function runFailoverStep(deps: CoreDeps, payload: FailoverStepPayload): Promise<unknown> {
  const step = steps[payload.action];
  if (!step && payload.action !== "validate")
    throw new SwitchyardError(ErrorNames.InvalidInput, `unknown failover step ${payload.action}`);
  const input = readCarried(payload);
  if (!step) return { ...input, world: {}, plans: {} };
  return step(deps, input, payload);
}
