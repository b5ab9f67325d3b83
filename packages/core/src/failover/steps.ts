import { approvalTimedOut, requestApproval } from "./approval.ts";
import type { Step } from "./carried.ts";
import { planPart, preflight, preflightFailed } from "./planning.ts";
import { callInRegion } from "./regional.ts";
import { writeReport } from "./report.ts";
import { verify } from "./verification.ts";

export type { Carried, Step } from "./carried.ts";

/** The failover and failback state machines' Task actions. */
export const FAILOVER_ACTIONS = [
  "validate",
  "preflight",
  "preflightFailed",
  "requestApproval",
  "approvalTimedOut",
  "plan",
  "verify",
  "report",
  "call",
] as const;
export type FailoverStepAction = (typeof FAILOVER_ACTIONS)[number];

/**
 * What each action does: planning.ts decides, approval.ts asks a human, verification.ts checks
 * the result, report.ts writes it up. The failover unit (unit.ts) validates the payload and
 * fills the input's defaults first.
 */
export const failoverSteps: { readonly [A in FailoverStepAction]: Step } = {
  /** The input with its defaults filled (the unit's `input`), and nothing read or planned yet. */
  async validate(_deps, input) {
    return { ...input, world: {}, plans: {} };
  },
  preflight,
  preflightFailed,
  requestApproval,
  approvalTimedOut,
  plan: planPart,
  verify,
  report: writeReport,
  /** One AWS call in another region, with a client of that region (regional.ts). */
  call: callInRegion,
};
