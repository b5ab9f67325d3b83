import { SendTaskSuccessCommand } from "@aws-sdk/client-sfn";
import type { CoreDeps } from "../context.ts";
import { ErrorNames, isTransient, SwitchyardError } from "../errors.ts";
import { logger } from "../observability/logger.ts";
import { auditSortKey, recordAudit, takeActionBudget } from "../store/state.ts";
import { type Change, protectedBy, unitOf } from "./actions.ts";
import type { CostAnomaly } from "./anomaly.ts";
import type { ActionConfig } from "./config.ts";
import type { CostResponseInput, CostStepPayload } from "./input.ts";
import { type CostNotice, sendCostNotice } from "./notify.ts";
import {
  type AppliedAction,
  type PendingAudit,
  type ResponseRecord,
  readResponse,
  updateResponse,
} from "./record.ts";

export type Step = (
  deps: CoreDeps,
  input: CostResponseInput,
  payload: CostStepPayload,
) => Promise<Record<string, unknown> | null>;

const stale = (message: string) => new SwitchyardError(ErrorNames.Stale, message);

/** The response record, if this execution owns it and it is open; otherwise the execution is stale. */
async function own(
  deps: CoreDeps,
  input: CostResponseInput,
  payload: CostStepPayload,
): Promise<ResponseRecord> {
  const record = await readResponse(deps.store, input.anomalyId);
  if (!record || record.executionArn !== payload.execution)
    throw stale(`the response to anomaly ${input.anomalyId} is owned by ${record?.executionArn ?? "nobody"}`);
  if (record.status !== "open") throw stale(`the response to anomaly ${input.anomalyId} has ended`);
  return record;
}

const audit = (
  deps: CoreDeps,
  input: CostResponseInput,
  payload: CostStepPayload,
  decision: string,
  reason: string,
  details?: Record<string, unknown>,
  key?: string,
) =>
  recordAudit(
    deps.store,
    {
      reaction: "cost",
      decision,
      reason,
      subject: input.anomalyId,
      correlationId: input.correlationId,
      eventId: input.trigger.eventId,
      executionArn: payload.execution,
      details: { rule: input.rule, tier: input.tier, ...details },
    },
    key,
  );

/** Sets one entry of the response; an execution that no longer owns the open response is stale. */
async function putEntry(
  deps: CoreDeps,
  input: CostResponseInput,
  payload: CostStepPayload,
  entry: AppliedAction,
) {
  const ok = await updateResponse(
    deps.store,
    input.anomalyId,
    { applied: { [entryKey(entry.type, entry.target)]: entry } },
    { executionArn: payload.execution },
  );
  if (!ok) throw stale(`the response to anomaly ${input.anomalyId} ended while recording ${entry.target}`);
}

/** An audit to record ahead with the outcome it reports (see PendingAudit). */
const pendingAudit = (
  deps: CoreDeps,
  decision: string,
  reason: string,
  details?: Record<string, unknown>,
): PendingAudit => ({
  key: auditSortKey(deps.store.now().toISOString()),
  decision,
  reason,
  ...(details ? { details } : {}),
});

/**
 * Records an outcome with its audit, writes the audit, then takes it off the entry: a step
 * retried after the outcome was recorded, which skips the settled entry, still audits it once
 * (see `flushAudits`).
 */
async function recordOutcome(
  deps: CoreDeps,
  input: CostResponseInput,
  payload: CostStepPayload,
  entry: AppliedAction & { audit: PendingAudit },
): Promise<AppliedAction> {
  await putEntry(deps, input, payload, entry);
  return writeAudit(deps, input, payload, entry);
}

async function writeAudit(
  deps: CoreDeps,
  input: CostResponseInput,
  payload: CostStepPayload,
  entry: AppliedAction & { audit: PendingAudit },
): Promise<AppliedAction> {
  const { audit: pending, ...written } = entry;
  await audit(deps, input, payload, pending.decision, pending.reason, pending.details, pending.key);
  await putEntry(deps, input, payload, written);
  return written;
}

/** Writes the audits an earlier attempt recorded and did not write; the record as it is then. */
async function flushAudits(
  deps: CoreDeps,
  input: CostResponseInput,
  payload: CostStepPayload,
  record: ResponseRecord,
): Promise<ResponseRecord> {
  const applied = { ...record.applied };
  for (const [k, entry] of Object.entries(applied))
    if (entry.audit) applied[k] = await writeAudit(deps, input, payload, { ...entry, audit: entry.audit });
  return { ...record, applied };
}

const anomalyOf = (input: CostResponseInput) => input.anomaly as unknown as CostAnomaly;
const actionsOf = (input: CostResponseInput) => input.actions as unknown as ActionConfig[];
const entryKey = (type: string, target: string) => `${type}:${target}`;
/** Entries that need nothing more from apply: done, planned, or refused for good. */
const SETTLED = new Set(["applied", "dry-run", "protected", "reverted", "revert-skipped", "reverting"]);
/**
 * Entries whose resource Switchyard may have changed: applied, recorded ahead of a write that
 * may or may not have landed (`applying`), or recorded ahead of a revert (`reverting`).
 */
const REVERTIBLE = new Set(["applied", "applying", "reverting"]);

/**
 * Every resource the tier's actions select (named, or found by tag now), with its unit, that
 * apply has not settled yet.
 */
async function pendingTargets(deps: CoreDeps, input: CostResponseInput, record: ResponseRecord) {
  const pending: { unit: NonNullable<ReturnType<typeof unitOf>>; config: ActionConfig; target: string }[] =
    [];
  for (const config of actionsOf(input)) {
    const unit = unitOf(config.type);
    if (!unit) continue;
    for (const target of await unit.targets(deps, input, config as never))
      if (!SETTLED.has(record.applied[entryKey(config.type, target)]?.status ?? ""))
        pending.push({ unit, config, target });
  }
  return pending;
}

function describeActions(input: CostResponseInput): string[] {
  return actionsOf(input).map((a) => {
    const unit = unitOf(a.type);
    return unit ? `${a.type} ${unit.summary(a as never)}` : a.type;
  });
}

function notice(input: CostResponseInput, headline: string, approval?: CostNotice["approval"]): CostNotice {
  return {
    headline,
    anomaly: anomalyOf(input),
    rule: input.rule,
    tier: input.tier,
    actions: describeActions(input),
    ...(approval ? { approval } : {}),
  };
}

const targets = (input: CostResponseInput) => ({
  topicArn: input.notifyTopicArn,
  webhookUrl: input.webhookUrl,
});

/** The cost-response state machine's Task actions. */
export const COST_ACTIONS = [
  "plan",
  "requestApproval",
  "approvalEnded",
  "apply",
  "applyFailed",
  "watch",
  "revert",
  "revertFailed",
] as const;
export type CostStepAction = (typeof COST_ACTIONS)[number];

/** What each action does; the cost unit (unit.ts) validates the payload and input first. */
export const costSteps: { readonly [A in CostStepAction]: Step } = {
  async plan(deps, input, payload) {
    const record = await own(deps, input, payload);
    await updateResponse(
      deps.store,
      input.anomalyId,
      { set: { rule: input.rule, tier: input.tier, rank: Math.max(record.rank, input.rank) } },
      { executionArn: payload.execution },
    );
    const destructive = (await pendingTargets(deps, input, record)).filter((t) => t.unit.destructive);
    const needsApproval = destructive.length > 0 && !input.dryRun;
    await audit(
      deps,
      input,
      payload,
      "planned",
      `tier ${input.tier}: ${describeActions(input).join("; ")}${needsApproval ? "; destructive, so it waits for approval" : ""}${input.dryRun ? " (dry run: recorded, not applied)" : ""}`,
    );
    return { needsApproval };
  },

  async requestApproval(deps, input, payload) {
    if (!payload.taskToken)
      throw new SwitchyardError(ErrorNames.InvalidInput, "requestApproval needs a task token");
    await own(deps, input, payload);
    await updateResponse(
      deps.store,
      input.anomalyId,
      { set: { approvalToken: payload.taskToken } },
      { executionArn: payload.execution },
    );
    const consoleLink = `https://${input.region}.console.aws.amazon.com/states/home?region=${input.region}#/v2/executions/details/${payload.execution}`;
    const sent = await sendCostNotice(
      deps,
      targets(input),
      notice(input, `Switchyard: approve cost action for ${input.anomalyId}?`, {
        command: `switchyard approve ${input.anomalyId}`,
        deny: `switchyard deny ${input.anomalyId}`,
        link: consoleLink,
        timeoutSeconds: input.approvalTimeoutSeconds,
      }),
    );
    await audit(
      deps,
      input,
      payload,
      "awaiting-approval",
      `tier ${input.tier} has destructive actions: waiting up to ${input.approvalTimeoutSeconds} s for approval (${sent})`,
    );
    return { waiting: true };
  },

  async approvalEnded(deps, input, payload) {
    await own(deps, input, payload);
    await updateResponse(
      deps.store,
      input.anomalyId,
      { remove: ["approvalToken"] },
      { executionArn: payload.execution },
    );
    const approval = (input as { approval?: { decision?: string; by?: string } }).approval;
    const timedOut = (input as { error?: { Error?: string } }).error?.Error === "States.Timeout";
    const reason = timedOut
      ? `no approval within ${input.approvalTimeoutSeconds} s: nothing done for tier ${input.tier}`
      : `denied by ${approval?.by ?? "someone"}: nothing done for tier ${input.tier}`;
    await audit(deps, input, payload, "no-action", reason);
    return null;
  },

  async apply(deps, input, payload) {
    const record = await flushAudits(deps, input, payload, await own(deps, input, payload));
    const done: string[] = [];
    const stamp = (entry: Omit<AppliedAction, "at" | "tier">): AppliedAction => ({
      ...entry,
      tier: input.tier,
      at: deps.store.now().toISOString(),
    });
    const save = (entry: Omit<AppliedAction, "at" | "tier">) => putEntry(deps, input, payload, stamp(entry));
    const write = async (entry: Omit<AppliedAction, "at" | "tier">) => {
      // Each resource is recorded the moment it changes, with its audit: a failure later leaves
      // a true record, and the audit is written once whatever fails.
      const details = { action: entry.type, target: entry.target };
      await recordOutcome(deps, input, payload, {
        ...stamp(entry),
        audit: pendingAudit(deps, entry.status, entry.note, details),
      });
      done.push(`${entry.target}: ${entry.status}`);
    };
    const noticeKey = entryKey("notify", input.tier);
    if (!record.applied[noticeKey]) {
      const sent = await sendCostNotice(
        deps,
        targets(input),
        notice(input, `Switchyard: cost anomaly ${input.anomalyId} at tier ${input.tier}`),
      );
      await write({ type: "notify", target: input.tier, status: "applied", note: `notified: ${sent}` });
    }
    for (const { unit, config, target } of await pendingTargets(deps, input, record)) {
      const type = config.type;
      // A write recorded ahead by an earlier attempt: its prior state stands, never read again.
      const ahead = record.applied[entryKey(type, target)];
      let prior: Change | undefined = ahead?.status === "applying" ? ahead : undefined;
      let change: Change;
      try {
        if (!prior) {
          const tags = await unit.tags(deps, input, target);
          const guard = protectedBy(tags, input.protectedTags);
          if (guard) {
            await write({
              type,
              target,
              status: "protected",
              note: `${target} is tagged ${guard}: never touched`,
            });
            continue;
          }
          if (input.dryRun) {
            const plan = await unit.plan(deps, config as never, target);
            await write({ type, target, status: "dry-run", ...plan });
            continue;
          }
          // Keyed by the execution and the resource: a retry of this step after the budget was
          // taken (before the write-ahead record below) does not spend it again.
          const spendKey = `${payload.execution}#${entryKey(type, target)}`;
          if (!(await takeActionBudget(deps.store, input.actionLimit, spendKey))) {
            const { max, windowSeconds } = input.actionLimit;
            await write({
              type,
              target,
              status: "limited",
              note: `action limit reached (${max} per ${windowSeconds} s, safety.actionLimit): ${target} not changed`,
            });
            continue;
          }
          // Write-ahead: the prior state is on record before anything changes.
          const plan = await unit.plan(deps, config as never, target);
          await save({ type, target, status: "applying", ...plan });
          prior = plan;
        }
        change = await unit.apply(deps, config as never, target, prior);
      } catch (error) {
        if (isTransient(error) || (error as Error).name === ErrorNames.Throttled) throw error;
        if ((error as Error).name === ErrorNames.Stale) throw error;
        // A resource that is gone or refuses the change: recorded, and the others still go on.
        // The prior state stays on the entry, so the revert can still check the resource.
        await write({
          type,
          target,
          status: "failed",
          note: `${type} on ${target} failed: ${(error as Error).name}: ${(error as Error).message}`,
          ...(prior ? { previous: prior.previous, set: prior.set } : {}),
        });
        continue;
      }
      // Outside the catch: when recording the result fails, the entry stays "applying" (the
      // write may have landed), the step fails, and the revert still covers the resource.
      await write({ type, target, status: "applied", ...change });
    }
    return { done };
  },

  async applyFailed(deps, input, payload) {
    const record = await own(deps, input, payload);
    const cause = (input as { error?: { Error?: string; Cause?: string } }).error;
    const applied = Object.values(record.applied)
      .filter((a) => REVERTIBLE.has(a.status))
      .map((a) => `${a.type} ${a.target}`);
    await audit(
      deps,
      input,
      payload,
      "failed",
      `applying tier ${input.tier} failed after retries (${cause?.Error}: ${parseCause(cause?.Cause)}); applied so far, reverted later: ${applied.join(", ") || "nothing"}`,
      { applied },
    );
    return null;
  },

  async watch(deps, input, payload) {
    if (!payload.taskToken) throw new SwitchyardError(ErrorNames.InvalidInput, "watch needs a task token");
    await own(deps, input, payload);
    const token = payload.taskToken;
    // Register first, then look: a repeat that lands in between is seen by one side or the other.
    await updateResponse(
      deps.store,
      input.anomalyId,
      { set: { watchToken: token } },
      { executionArn: payload.execution },
    );
    const record = await own(deps, input, payload);
    if (record.pending) {
      const took = await updateResponse(
        deps.store,
        input.anomalyId,
        { remove: ["watchToken", "pending"] },
        { ifToken: { field: "watchToken", value: token } },
      );
      if (took) {
        await deps.clients.sfn.send(
          new SendTaskSuccessCommand({ taskToken: token, output: JSON.stringify(record.pending) }),
        );
        return { waiting: false };
      }
    }
    logger.info("watching the anomaly", { anomalyId: input.anomalyId, ttlSeconds: input.ttlSeconds });
    return { waiting: true };
  },

  async revert(deps, input, payload) {
    const record = await flushAudits(deps, input, payload, await own(deps, input, payload));
    const error = (input as { error?: { Error?: string } }).error?.Error;
    const why =
      error === "States.Timeout"
        ? `TTL of ${input.ttlSeconds} s ran out`
        : error
          ? `watching the anomaly failed (${error})`
          : "the anomaly was resolved";
    const entries = { ...record.applied };
    for (const [k, entry] of Object.entries(entries)) {
      const unit = unitOf(entry.type);
      if (!unit || !REVERTIBLE.has(entry.status)) continue;
      // Write-ahead for the revert too: a retry after the revert's own write knows it may have landed.
      const out = await unit.revert(deps, entry, async () => {
        if (entry.status !== "reverting")
          await putEntry(deps, input, payload, {
            ...entry,
            status: "reverting",
            note: `reverting: back to ${String(entry.previous)}`,
            at: deps.store.now().toISOString(),
          });
      });
      const status = out.reverted ? "reverted" : "revert-skipped";
      const details = { action: entry.type, target: entry.target };
      entries[k] = await recordOutcome(deps, input, payload, {
        ...entry,
        status,
        note: out.note,
        at: deps.store.now().toISOString(),
        audit: pendingAudit(deps, status, `${why}: ${out.note}`, details),
      });
    }
    // What this revert did: the entries it settled (a retried revert finds them settled already).
    const outcomes = Object.values(entries)
      .filter((e) => e.status === "reverted" || e.status === "revert-skipped")
      .map((e) => `${e.target}: ${e.status}`);
    // The "ended" audit is recorded ahead too, and written before the response ends: a retry
    // finds the response still open and writes the same record.
    const ending =
      record.ending ?? pendingAudit(deps, "ended", `${why}: ${outcomes.join(", ") || "nothing to revert"}`);
    if (!record.ending)
      await updateResponse(
        deps.store,
        input.anomalyId,
        { set: { ending } },
        { executionArn: payload.execution },
      );
    await audit(deps, input, payload, ending.decision, ending.reason, ending.details, ending.key);
    await updateResponse(
      deps.store,
      input.anomalyId,
      { set: { status: "ended" }, remove: ["watchToken", "approvalToken", "pending", "ending"] },
      { executionArn: payload.execution },
    );
    return { outcomes };
  },

  async revertFailed(deps, input, payload) {
    const cause = (input as { error?: { Error?: string; Cause?: string } }).error;
    await audit(
      deps,
      input,
      payload,
      "failed",
      `revert failed after retries (${cause?.Error}: ${parseCause(cause?.Cause)}); what is still applied is listed in the response record; redrive to retry`,
    );
    return null;
  },
};

/** Lambda's error payload reaches the Catch as a JSON Cause: show its message. */
function parseCause(cause: string | undefined): string {
  try {
    return (JSON.parse(cause ?? "") as { errorMessage?: string }).errorMessage ?? String(cause);
  } catch {
    return String(cause);
  }
}
