import { startExecution } from "../aws/executions.ts";
import type { Config } from "../config/index.ts";
import type { CoreDeps, ReactionResult, TriggerDeps } from "../context.ts";
import type { BusEvent } from "../events/envelope.ts";
import type { ExecutionStatusChangeDetail } from "../events/parse.ts";
import { notify } from "../notify/notify.ts";
import { logger } from "../observability/logger.ts";
import {
  automationPaused,
  readControl,
  readDeployment,
  recordAudit,
  takeQueuedDeploy,
} from "../store/state.ts";
import { lambdaRetry } from "../workflows/asl.ts";
import { describeAlias, readAlias } from "./alias.ts";
import { rollBack } from "./rollback.ts";
import { deleteVersionAlarms } from "./version-alarms.ts";

/**
 * How a deploy execution can end on purpose: each of these is a Fail state whose step already
 * audited and notified what happened, or a stop by Switchyard itself (rollback, promote,
 * supersede, abandon). Anything else (retries exhausted, a timeout, a console stop, a bug) is
 * news to a human.
 */
const DELIBERATE_ENDS = new Set([
  "RolledBack",
  "ScanGateBlocked",
  "StaleExecution",
  "DeploymentAbandoned",
  "DeploymentInProgress",
  "Promoted",
  "Abandoned",
]);

/** Errors the state machine retries as transient: when their retries run out, a redrive may succeed. */
const RESUMABLE = new Set<string>(lambdaRetry.ErrorEquals);

/** The verbs a human has for a deployment that stopped shifting, named in every message. */
const VERBS = (deployment: string) =>
  `\`switchyard rollback ${deployment}\`, \`switchyard promote ${deployment}\` or \`switchyard abandon ${deployment}\``;

/**
 * A deploy execution ended. No wedge, whatever the end:
 * - ABORTED (a console StopExecution) or TIMED_OUT while it still holds the deployment: the
 *   alias is restored to the stable version if this execution's split is still there, the
 *   record settled (abandoned, generation advanced), audited and notified.
 * - FAILED after the retries of a transient error ran out: the execution fails in place — the
 *   alias stays on a known split guarded by its alarms; a human is told to redrive it or use a
 *   verb that works on the record as it is. FAILED on any other error: as ABORTED.
 * - Any end: a push queued behind it (`onNewerImage: "queue"`) starts now.
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
  const input = safeJson(d.input) as
    | { deployment?: string; functionName?: string; alias?: string; correlationId?: string }
    | undefined;
  const deployment = input?.deployment;
  const handled = await handleEnd(deps, event, deployment);
  const queued = deployment
    ? await startQueued(deps, deps.deployStateMachineArn, deployment, event.id)
    : undefined;
  return {
    ...handled,
    ...(queued ? { executions: [...handled.executions, queued] } : {}),
  };
}

async function handleEnd(
  deps: TriggerDeps,
  event: BusEvent<ExecutionStatusChangeDetail>,
  deployment: string | undefined,
): Promise<ReactionResult> {
  const d = event.detail;
  const base = { reaction: "deploy-watch", executions: [d.executionArn] };
  const error = typeof d.error === "string" ? d.error : undefined;
  const cause = typeof d.cause === "string" ? d.cause : "";
  if (d.status !== "FAILED" && d.status !== "TIMED_OUT" && d.status !== "ABORTED") {
    return { ...base, outcome: "no-action", reason: `execution ${d.name} is ${d.status}` };
  }
  const name = deployment ?? "(unknown deployment)";
  const record = deployment ? await readDeployment(deps.store, deployment) : undefined;
  const holds = record?.executionArn === d.executionArn && record.status === "shifting";
  // Ended after it let go (the rollback function, a step or an operator settled it): the new
  // version's own alarms end with it (version-alarms.ts; a second delete finds nothing).
  if (!holds && record?.executionArn === d.executionArn)
    await deleteVersionAlarms(deps, safeJson(d.input), record.deployment, record.newVersion);
  if (error && DELIBERATE_ENDS.has(error) && !holds) {
    return {
      ...base,
      outcome: "no-action",
      reason: `execution ${d.name} ended as ${error}, already recorded by its step`,
    };
  }
  const correlationId =
    (safeJson(d.input) as { correlationId?: string } | undefined)?.correlationId ?? event.id;
  const tell = async (decision: string, reason: string) => {
    await recordAudit(deps.store, {
      reaction: "deploy-watch",
      decision,
      reason,
      subject: name,
      executionArn: d.executionArn,
      eventId: event.id,
      correlationId,
    });
    await notify(deps, deps.config.notifications.topicArn, `Switchyard: deploy of ${name} needs a human`, {
      deployment: name,
      execution: d.executionArn,
      status: d.status,
      error: error ?? null,
      reason,
    });
    return { ...base, outcome: decision, reason, subjects: [name] };
  };
  if (!holds || !record) {
    if (d.status === "ABORTED")
      return {
        ...base,
        outcome: "no-action",
        reason: `execution ${d.name} was stopped after it let go of ${name}: nothing to undo`,
      };
    const what = d.status === "TIMED_OUT" ? "timed out" : `failed with ${error ?? "an error"}`;
    return tell(
      "failed",
      `deploy of ${name} ${what}${cause ? `: ${cause.slice(0, 500)}` : ""} before holding the deployment; nothing to undo. Push the image again (or start a new execution) to retry`,
    );
  }
  if (d.status === "FAILED" && error && RESUMABLE.has(error)) {
    // Retries of a transient error exhausted at a step: fail in place, a redrive resumes (the
    // claim is still this execution's). Any other failure is permanent: restored and settled below.
    const alias = await readAlias(deps, record.functionName, record.alias);
    return tell(
      "failed-in-place",
      `deploy of ${name} failed with ${error ?? "an error"}${cause ? `: ${cause.slice(0, 500)}` : ""}; the alias serves ${describeAlias(alias)} and stays guarded by its alarms. Redrive execution ${d.name} to resume the step, or run ${VERBS(name)}`,
    );
  }
  // ABORTED (a console stop), TIMED_OUT, or FAILED on an error no retry fixes, while holding
  // the deployment: restore and settle —
  // unless automation is paused: then nothing is written, and a human decides.
  const control = await readControl(deps.store);
  if (control.paused) {
    return tell(
      "no-action",
      `deploy of ${name}: execution ${d.name} ended ${d.status} while it held the deployment, and automation is paused${control.reason ? ` (${control.reason})` : ""}: nothing changed. Run ${VERBS(name)}`,
    );
  }
  const what =
    d.status === "ABORTED"
      ? `was stopped${error ? ` (${error}${cause ? `: ${cause.slice(0, 200)}` : ""})` : ""} while it held the deployment`
      : d.status === "TIMED_OUT"
        ? "timed out while it held the deployment"
        : `failed with ${error ?? "an error"}${cause ? `: ${cause.slice(0, 300)}` : ""} while it held the deployment`;
  const out = await rollBack(deps, record, {
    status: "abandoned",
    reason: `execution ${d.name} ${what}`,
    stopExecution: false,
    correlationId,
    eventId: event.id,
  });
  await deleteVersionAlarms(deps, safeJson(d.input), record.deployment, record.newVersion);
  return tell(
    "abandoned",
    `deploy of ${name}: execution ${d.name} ${what}; ${out.detail}. The deployment is settled (abandoned); push again to deploy, or run ${VERBS(name)} to choose otherwise`,
  );
}

/**
 * A push queued behind the deployment that just ended starts now, under the generation the
 * record carries (the fence), from the alias as it is — unless automation is paused: then it
 * stays queued, audited as held, and `switchyard resume` starts it (`startHeldQueued`).
 */
export async function startQueued(
  deps: CoreDeps & { readonly config?: { readonly safety: { readonly paused: boolean } } },
  deployStateMachineArn: string,
  deployment: string,
  eventId: string | undefined,
): Promise<string | undefined> {
  const control = await automationPaused(deps);
  if (control.paused) {
    const record = await readDeployment(deps.store, deployment);
    if (record?.queued && record.status !== "shifting") {
      const input = record.queued.input as { imageUri?: string; correlationId?: string };
      await recordAudit(deps.store, {
        reaction: "deploy",
        decision: "held",
        reason: `held: automation paused${control.reason ? ` (${control.reason})` : ""}: the push queued since ${record.queued.queuedAt} (${input.imageUri}) stays queued; \`switchyard resume\` starts it`,
        subject: deployment,
        ...(eventId ? { eventId } : {}),
        correlationId: input.correlationId ?? eventId ?? record.queued.name,
      });
    }
    return undefined;
  }
  const queued = await takeQueuedDeploy(deps.store, deployment);
  if (!queued) return undefined;
  const record = await readDeployment(deps.store, deployment);
  const input = queued.input as { functionName: string; alias: string; correlationId?: string };
  const alias = await readAlias(deps, input.functionName, input.alias);
  const executionArn = await startExecution(
    deps.clients.sfn,
    deployStateMachineArn,
    queued.name,
    JSON.stringify({ ...queued.input, stableVersion: alias.version, generation: record?.generation ?? 0 }),
  );
  if (executionArn === undefined) return undefined;
  const correlationId = input.correlationId ?? eventId ?? queued.name;
  await recordAudit(deps.store, {
    reaction: "deploy",
    decision: "started",
    reason: `queued push (since ${queued.queuedAt}) started after the deployment in flight ended; alias ${input.functionName}:${input.alias} on version ${alias.version}`,
    subject: deployment,
    executionArn,
    ...(eventId ? { eventId } : {}),
    correlationId,
  });
  logger.info("queued deploy started", { deployment, executionArn });
  return executionArn;
}

/**
 * Automation resumed (`switchyard resume`): each push that waited for it on a settled record
 * starts now, on the deploy state machine that ran the deployment it queued behind. Returns
 * the executions started. A record still shifting keeps its push until an operator verb or
 * the end of its execution settles it.
 */
export async function startHeldQueued(deps: CoreDeps, config: Config): Promise<string[]> {
  const started: string[] = [];
  for (const d of config.deployments) {
    const record = await readDeployment(deps.store, d.name);
    if (!record?.queued || record.status === "shifting" || !record.executionArn) continue;
    const arn = await startQueued(
      { ...deps, config },
      stateMachineOf(record.executionArn),
      d.name,
      undefined,
    );
    if (arn) started.push(arn);
  }
  return started;
}

/** arn:…:execution:<machine>:<name> → arn:…:stateMachine:<machine>. */
export function stateMachineOf(executionArn: string): string {
  return executionArn.replace(":execution:", ":stateMachine:").replace(/:[^:]+$/, "");
}

function safeJson(text: string | null | undefined): unknown {
  if (!text) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
