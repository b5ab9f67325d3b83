import type { ReactionResult, TriggerDeps } from "../context.ts";
import type { KnownEvent } from "../events/parse.ts";
import { notify } from "../notify/notify.ts";
import { recordAudit } from "../store/state.ts";
import { claimEvent } from "./autoshift.ts";

type RegionSwitchEvent = Extract<KnownEvent, { kind: "arc.region-switch-execution" }>;

/**
 * An ARC Region switch plan execution started, completed or failed: someone (or ARC) is moving an
 * application between Regions with a Region switch plan. Switchyard records it, naming the plan,
 * the Region it activates or deactivates and the runbooks with a Region there, and notifies; like
 * a zonal shift, it starts no failover of its own: the Region switch is the recovery under way.
 */
export async function onRegionSwitchExecution(
  deps: TriggerDeps,
  known: RegionSwitchEvent,
): Promise<ReactionResult> {
  const { event, phase } = known;
  const { planArn, executionId, executionAction, executionRegion, executionState, mode, error } =
    event.detail;
  const plan = planArn ?? event.resources?.[0] ?? "an unnamed plan";
  const where = executionRegion ?? event.region;
  const runbooks = deps.config.failover.runbooks
    .filter((r) => where !== undefined && (r.primaryRegion === where || r.secondaryRegion === where))
    .map((r) => r.name);

  // EventBridge delivers at least once, and a forwarded event may arrive from more than one Region.
  if (!(await claimEvent(deps, "region-switch", event.id)))
    return {
      reaction: "failover",
      outcome: "duplicate",
      reason: `Region switch plan execution event ${event.id} was recorded already`,
      executions: [],
      subjects: runbooks,
    };

  const reason = [
    `Region switch plan ${plan} execution ${executionId ?? "(no id)"} ${phase === "other" ? `is ${executionState ?? "in an unknown state"}` : phase}`,
    `${executionAction ?? "action unknown"} ${where ?? "an unnamed Region"}${mode ? ` (${mode})` : ""}`,
    runbooks.length
      ? `runbooks with a Region there: ${runbooks.join(", ")}`
      : "no runbook has a Region there",
    ...(error ? [error] : []),
    "no failover started",
  ].join("; ");
  const details = {
    plan,
    executionId: executionId ?? null,
    executionAction: executionAction ?? null,
    executionState: executionState ?? null,
    executionRegion: where ?? null,
    mode: mode ?? null,
    runbooks,
    ...(error ? { error } : {}),
  };
  await recordAudit(deps.store, {
    reaction: "failover",
    decision: `region-switch-${phase}`,
    reason,
    subject: plan,
    eventId: event.id,
    correlationId: event.id,
    details,
  });
  await notify(deps, deps.config.notifications.topicArn, `Region switch ${phase}: ${plan}`, {
    summary: reason,
    ...details,
    eventId: event.id,
    time: event.time ?? null,
  });
  return { reaction: "failover", outcome: "recorded", reason, executions: [], subjects: runbooks };
}
