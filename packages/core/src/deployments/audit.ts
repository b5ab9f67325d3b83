import type { CoreDeps } from "../context.ts";
import { recordAudit } from "../store/state.ts";
import type { DeployInput, DeployStepPayload } from "./input.ts";

/**
 * Records a deploy step's decision in the audit log under its deployment, its trigger and its
 * execution: the one audit line of the deploy steps and of their GitHub write-back.
 */
export const deployAudit = (
  deps: CoreDeps,
  input: DeployInput,
  payload: DeployStepPayload,
  decision: string,
  reason: string,
  details?: Record<string, unknown>,
) =>
  recordAudit(deps.store, {
    reaction: "deploy",
    decision,
    reason,
    subject: input.deployment,
    correlationId: input.correlationId,
    eventId: input.trigger.eventId,
    executionArn: payload.execution,
    ...(details ? { details } : {}),
  });
