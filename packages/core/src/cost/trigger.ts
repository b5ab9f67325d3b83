import { SendTaskSuccessCommand } from "@aws-sdk/client-sfn";
import { startExecution } from "../aws/executions.ts";
import type { Config } from "../config/index.ts";
import type { CoreDeps, ReactionResult } from "../context.ts";
import { logger } from "../observability/logger.ts";
import { automationPaused, recordAudit } from "../store/state.ts";
import type { CostAnomaly } from "./anomaly.ts";
import type { CostTier } from "./config.ts";
import type { CostResponseInput } from "./input.ts";
import { evaluate, type Verdict } from "./policy.ts";
import { openResponse, type ResponseRecord, readResponse, updateResponse } from "./record.ts";

export interface CostTriggerDeps extends CoreDeps {
  readonly config: Config;
  readonly costStateMachineArn: string;
}

/** One execution per anomaly, ever: its name derives from the anomaly id, not the delivery. */
export function costExecutionName(anomalyId: string): string {
  return `cost-${anomalyId}`.replace(/[^A-Za-z0-9_-]/g, "_").slice(0, 80);
}

function responseInput(
  deps: CostTriggerDeps,
  anomaly: CostAnomaly,
  judged: { rule: string; tier: CostTier; rank: number },
  signal: CostResponseInput["signal"],
): CostResponseInput {
  const { cost, safety, notifications } = deps.config;
  return {
    anomalyId: anomaly.anomalyId,
    anomaly: anomaly as unknown as CostResponseInput["anomaly"],
    rule: judged.rule,
    tier: judged.tier.name,
    rank: judged.rank,
    actions: judged.tier.actions,
    signal,
    approvalTimeoutSeconds: cost.approvalTimeout,
    ttlSeconds: cost.ttl,
    dryRun: cost.dryRun || safety.dryRun,
    protectedTags: cost.protectedTags,
    actionLimit: safety.actionLimit,
    notifyTopicArn: notifications.topicArn ?? null,
    webhookUrl: cost.webhookUrl ?? null,
    account: deps.config.account,
    region: deps.config.region,
    trigger: { eventId: anomaly.deliveryId, via: anomaly.via },
    correlationId: anomaly.deliveryId,
  };
}

/** The rule and tier a response reached, as the config defines them now. */
function judgedBefore(deps: CostTriggerDeps, record: ResponseRecord) {
  const rule = deps.config.cost.rules.find((r) => r.name === record.rule);
  const rank = rule?.tiers.findIndex((t) => t.name === record.tier) ?? -1;
  const tier = rule?.tiers[rank];
  return tier ? { rule: record.rule, tier, rank } : undefined;
}

/**
 * A Cost Anomaly Detection alert (either delivery path) → the one response for its anomaly.
 * The first alert that reaches a tier opens the response and starts its execution; a repeat of
 * the anomaly updates it: a higher tier escalates the running execution, feedback on the
 * anomaly (a human judged it) ends it and reverts. Every evaluation is audited with the rule
 * that decided it, "below threshold, no action" included.
 */
export async function onCostAnomaly(deps: CostTriggerDeps, anomaly: CostAnomaly): Promise<ReactionResult> {
  const verdict = evaluate(deps.config.cost, anomaly);
  const subject = anomaly.anomalyId;
  const audit = (decision: string, reason: string, extra: Record<string, unknown> = {}) =>
    recordAudit(deps.store, {
      reaction: "cost",
      decision,
      reason,
      subject,
      eventId: anomaly.deliveryId,
      correlationId: anomaly.deliveryId,
      details: {
        rule: "rule" in verdict ? verdict.rule : null,
        tier: verdict.kind === "tier" ? verdict.tier.name : null,
        totalImpact: anomaly.impact.totalImpact,
        totalImpactPercentage: anomaly.impact.totalImpactPercentage ?? null,
        via: anomaly.via,
        ...extra,
      },
    });
  const result = (outcome: string, reason: string, executions: string[] = []): ReactionResult => ({
    reaction: "cost",
    outcome,
    reason,
    executions,
    subjects: [subject],
  });

  let existing = await readResponse(deps.store, anomaly.anomalyId);
  if (!existing) {
    if (verdict.kind !== "tier") {
      await audit("no-action", verdict.reason);
      return result("no-action", verdict.reason);
    }
    const paused = await pausedReason(deps);
    if (paused) {
      await audit("no-action", `${paused}: ${verdict.reason}`);
      return result("paused", paused);
    }
    const name = costExecutionName(anomaly.anomalyId);
    const executionArn = `${deps.costStateMachineArn.replace(":stateMachine:", ":execution:")}:${name}`;
    // Opened with the execution's input on it: if StartExecution fails below (throttled, or the
    // function times out), the retry finds the response unstarted and starts it, rather than
    // taking it for a repeat of a response that runs.
    const startInput = JSON.stringify(responseInput(deps, anomaly, verdict, "start"));
    const opened = await openResponse(deps.store, {
      anomalyId: anomaly.anomalyId,
      executionArn,
      rule: verdict.rule,
      tier: verdict.tier.name,
      rank: verdict.rank,
      totalImpact: anomaly.impact.totalImpact,
      startInput,
    });
    if (opened)
      return start(
        deps,
        { anomalyId: anomaly.anomalyId, executionArn, startInput },
        audit,
        result,
        verdict.reason,
      );
    // Another delivery of this anomaly opened it a moment ago: this one is a repeat.
    existing = await readResponse(deps.store, anomaly.anomalyId);
    if (!existing) throw new Error(`cost response ${anomaly.anomalyId} vanished after it was opened`);
  }
  if (existing.status === "open" && existing.startInput !== undefined) {
    // An earlier delivery opened the response, and its start is not confirmed: start it now.
    const paused = await pausedReason(deps);
    if (paused) {
      await audit("no-action", `${paused}: the response to anomaly ${subject} is not started`);
      return result("paused", paused);
    }
    const { startInput } = existing;
    const started = await start(
      deps,
      { anomalyId: subject, executionArn: existing.executionArn, startInput },
      audit,
      result,
      `resumed: an earlier attempt opened the response and did not confirm its start (tier ${existing.tier})`,
    );
    const opener = (JSON.parse(startInput) as CostResponseInput).trigger.eventId;
    if (opener === anomaly.deliveryId) return started;
    existing = await readResponse(deps.store, anomaly.anomalyId);
    if (!existing) throw new Error(`cost response ${anomaly.anomalyId} vanished after it was started`);
  }
  return repeat(deps, anomaly, verdict, existing, audit, result);
}

async function pausedReason(deps: CoreDeps): Promise<string | undefined> {
  const control = await automationPaused(deps);
  return control.paused ? `automation paused${control.reason ? ` (${control.reason})` : ""}` : undefined;
}

type Audit = (decision: string, reason: string, extra?: Record<string, unknown>) => Promise<unknown>;
type Result = (outcome: string, reason: string, executions?: string[]) => ReactionResult;

/**
 * Starts the response's execution from the input on its record, under the anomaly's one name.
 * StartExecution with the same name and input while the execution runs succeeds again, and
 * ExecutionAlreadyExists means the name is taken (the execution ran, or runs with another input):
 * either way the anomaly has its one execution, so both confirm the start. Whoever takes the
 * input off the record (a conditional update) audits "started": two deliveries racing here audit
 * it once.
 * https://docs.aws.amazon.com/step-functions/latest/apireference/API_StartExecution.html
 */
async function start(
  deps: CostTriggerDeps,
  record: { anomalyId: string; executionArn: string; startInput: string },
  audit: Audit,
  result: Result,
  reason: string,
): Promise<ReactionResult> {
  const name = costExecutionName(record.anomalyId);
  const existed =
    (await startExecution(deps.clients.sfn, deps.costStateMachineArn, name, record.startInput)) === undefined;
  const arn = record.executionArn;
  const confirmed = await updateResponse(
    deps.store,
    record.anomalyId,
    { remove: ["startInput"] },
    { executionArn: arn, ifStarting: true },
  );
  if (!confirmed) {
    await audit(
      "duplicate",
      `execution ${name} was started by another delivery: the anomaly has its one response`,
    );
    return result("duplicate", `execution ${name} exists already`, [arn]);
  }
  await audit("started", existed ? `${reason} (execution ${name} existed already)` : reason, {
    executionArn: arn,
  });
  logger.info("cost response started", { anomalyId: record.anomalyId, executionArn: arn });
  return result("started", reason, [arn]);
}

async function repeat(
  deps: CostTriggerDeps,
  anomaly: CostAnomaly,
  verdict: Verdict,
  existing: ResponseRecord,
  audit: Audit,
  result: Result,
): Promise<ReactionResult> {
  const id = anomaly.anomalyId;
  if (existing.status !== "open") {
    const reason = `the response to anomaly ${id} has ended (tier ${existing.tier}); a repeat does not reopen it`;
    await audit("no-action", `${reason}; ${verdict.reason}`);
    return result("ended", reason);
  }
  const escalates = verdict.kind === "tier" && verdict.rank > existing.rank;
  const resolved = anomaly.feedback !== undefined;
  if (!escalates && !resolved) {
    await updateResponse(deps.store, id, { set: { totalImpact: anomaly.impact.totalImpact } });
    const reason = `repeat of anomaly ${id}: impact now $${anomaly.impact.totalImpact.toFixed(2)}, still tier ${existing.tier}; the one response goes on (${verdict.reason})`;
    await audit("updated", reason);
    return result("updated", reason, [existing.executionArn]);
  }
  const paused = await pausedReason(deps);
  if (paused) {
    await audit(
      "no-action",
      `${paused}: ${escalates ? "escalation" : "resolution"} of anomaly ${id} not sent`,
    );
    return result("paused", paused);
  }
  const judged = escalates && verdict.kind === "tier" ? verdict : judgedBefore(deps, existing);
  if (!judged) {
    const reason = `rule ${existing.rule} or its tier ${existing.tier} is no longer in the config: anomaly ${id} not signalled`;
    await audit("no-action", reason);
    return result("no-action", reason);
  }
  const signal = resolved ? "resolved" : "escalate";
  const next = responseInput(deps, anomaly, judged, signal);
  const why = resolved
    ? `anomaly ${id} got feedback "${anomaly.feedback}": resolved, what was applied is reverted`
    : `anomaly ${id} escalates from tier ${existing.tier} to ${judged.tier.name}: ${verdict.reason}`;
  const delivered = await deliverSignal(deps, existing, next);
  await audit(
    signal === "resolved" ? "resolved" : "escalated",
    `${why}${delivered ? "" : " (queued until the response waits)"}`,
    {
      executionArn: existing.executionArn,
    },
  );
  return result(signal === "resolved" ? "resolved" : "escalated", why, [existing.executionArn]);
}

/**
 * Answers the execution's Watch token with the next input when it waits; otherwise leaves
 * the input on the record, and the execution's Watch step finds it there. The token is
 * taken off the record with a condition first, so two repeats never answer it twice.
 */
async function deliverSignal(
  deps: CoreDeps,
  record: ResponseRecord,
  next: CostResponseInput,
): Promise<boolean> {
  if (record.watchToken && (await answer(deps, record.anomalyId, record.watchToken, next))) return true;
  await updateResponse(deps.store, record.anomalyId, { set: { pending: next } });
  // Leave the input, then look: a Watch step that registered in between is answered here, or it
  // finds the input itself; the conditional take of the token keeps it to one answer.
  const now = await readResponse(deps.store, record.anomalyId);
  if (now?.watchToken && now.pending) return answer(deps, record.anomalyId, now.watchToken, next);
  return false;
}

/** Takes the Watch token off the record (if it is still there) and answers it with the next input. */
async function answer(
  deps: CoreDeps,
  anomalyId: string,
  token: string,
  next: CostResponseInput,
): Promise<boolean> {
  const took = await updateResponse(
    deps.store,
    anomalyId,
    { remove: ["watchToken", "pending"] },
    { ifToken: { field: "watchToken", value: token } },
  );
  if (!took) return false;
  try {
    await deps.clients.sfn.send(
      new SendTaskSuccessCommand({ taskToken: token, output: JSON.stringify(next) }),
    );
    return true;
  } catch (error) {
    const name = (error as Error).name;
    // The Watch timed out (the TTL revert runs): nothing waits for this input any more.
    if (name !== "TaskTimedOut" && name !== "InvalidToken") throw error;
    return false;
  }
}
