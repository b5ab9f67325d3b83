import type { ReactionResult, TriggerDeps } from "../context.ts";
import type { BusEvent } from "../events/envelope.ts";
import type { ExecutionStatusChangeDetail } from "../events/parse.ts";
import { notify } from "../notify/notify.ts";
import { readDeployment, recordAudit } from "../store/state.ts";
import { describeAlias, readAlias } from "./alias.ts";

/**
 * How a deploy execution can end on purpose: each of these is a Fail state whose step already
 * audited and notified what happened. Anything else (retries exhausted, a timeout, a bug) is a
 * failure in place, which nobody has been told about yet.
 */
const DELIBERATE_ENDS = new Set([
  "RolledBack",
  "ScanGateBlocked",
  "StaleExecution",
  "DeploymentAbandoned",
  "DeploymentInProgress",
  "InvalidInput",
  "Promoted",
]);

/**
 * A deploy execution failed or timed out at a step: tell a human where it stopped and what the
 * alias serves, and how to go on (redrive to resume, or roll back). The alias stays guarded by
 * the rollback function meanwhile, since the deployment record still says "shifting".
 */
export async function onDeployExecutionEnded(
  deps: TriggerDeps,
  event: BusEvent<ExecutionStatusChangeDetail>,
): Promise<ReactionResult> {
  const d = event.detail;
  const base = { reaction: "deploy-watch", executions: [d.executionArn] };
  if (d.stateMachineArn !== deps.deployStateMachineArn) {
    return {
      ...base,
      outcome: "no-action",
      reason: `${d.stateMachineArn} is not Switchyard's deploy state machine`,
    };
  }
  const error = typeof d.error === "string" ? d.error : undefined;
  const cause = typeof d.cause === "string" ? d.cause : "";
  if (d.status !== "FAILED" && d.status !== "TIMED_OUT") {
    return { ...base, outcome: "no-action", reason: `execution ${d.name} is ${d.status}` };
  }
  if (d.status === "FAILED" && error && DELIBERATE_ENDS.has(error)) {
    return {
      ...base,
      outcome: "no-action",
      reason: `execution ${d.name} ended as ${error}, already recorded by its step`,
    };
  }
  const input = safeJson(d.input) as
    | { deployment?: string; functionName?: string; alias?: string; correlationId?: string }
    | undefined;
  const deployment = input?.deployment ?? "(unknown deployment)";
  const record = input?.deployment ? await readDeployment(deps.store, input.deployment) : undefined;
  const shifting = record?.executionArn === d.executionArn && record.status === "shifting";
  const alias = shifting && record ? await readAlias(deps, record.functionName, record.alias) : undefined;
  const what =
    d.status === "TIMED_OUT"
      ? "timed out"
      : `failed with ${error ?? "an error"}${cause ? `: ${cause.slice(0, 500)}` : ""}`;
  const reason = shifting
    ? `deploy of ${deployment} ${what}; the alias serves ${alias ? describeAlias(alias) : "?"} and stays guarded by its alarms. Redrive execution ${d.name} to resume the step, or run \`switchyard rollback ${deployment}\``
    : `deploy of ${deployment} ${what} before shifting any traffic; nothing to undo. Start it again by redriving execution ${d.name}`;
  await recordAudit(deps.store, {
    reaction: "deploy-watch",
    decision: shifting ? "failed-in-place" : "failed",
    reason,
    subject: deployment,
    executionArn: d.executionArn,
    eventId: event.id,
    correlationId: input?.correlationId ?? event.id,
  });
  await notify(
    deps,
    deps.config.notifications.topicArn,
    `Switchyard: deploy of ${deployment} needs a human`,
    {
      deployment,
      execution: d.executionArn,
      status: d.status,
      error: error ?? null,
      reason,
    },
  );
  return { ...base, outcome: shifting ? "failed-in-place" : "failed", reason, subjects: [deployment] };
}

function safeJson(text: string | null | undefined): unknown {
  if (!text) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
