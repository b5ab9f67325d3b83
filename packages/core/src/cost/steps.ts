import { SendTaskSuccessCommand } from "@aws-sdk/client-sfn";
import type { CoreDeps } from "../context.ts";
import { ErrorNames, isTransient, SwitchyardError } from "../errors.ts";
import { logger } from "../observability/logger.ts";
import { recordAudit, takeActionBudget } from "../store/state.ts";
import { type Change, protectedBy, unitOf } from "./actions.ts";
import type { CostAnomaly } from "./anomaly.ts";
import type { ActionConfig } from "./config.ts";
import type { CostResponseInput, CostStepPayload } from "./input.ts";
import { type CostNotice, sendCostNotice } from "./notify.ts";
import { type AppliedAction, type ResponseRecord, readResponse, updateResponse } from "./record.ts";

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
) =>
  recordAudit(deps.store, {
    reaction: "cost",
    decision,
    reason,
    subject: input.anomalyId,
    correlationId: input.correlationId,
    eventId: input.trigger.eventId,
    executionArn: payload.execution,
    details: { rule: input.rule, tier: input.tier, ...details },
  });

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
    const record = await own(deps, input, payload);
    const done: string[] = [];
    const save = async (entry: Omit<AppliedAction, "at" | "tier">) => {
      const full: AppliedAction = { ...entry, tier: input.tier, at: deps.store.now().toISOString() };
      const ok = await updateResponse(
        deps.store,
        input.anomalyId,
        { applied: { [entryKey(entry.type, entry.target)]: full } },
        { executionArn: payload.execution },
      );
      if (!ok) throw stale(`the response to anomaly ${input.anomalyId} ended while applying`);
    };
    const write = async (entry: Omit<AppliedAction, "at" | "tier">) => {
      // Each resource is recorded the moment it changes: a failure later leaves a true record.
      await save(entry);
      done.push(`${entry.target}: ${entry.status}`);
      await audit(deps, input, payload, entry.status, entry.note, {
        action: entry.type,
        target: entry.target,
      });
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
          if (!(await takeActionBudget(deps.store, input.actionLimit))) {
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
    const record = await own(deps, input, payload);
    const error = (input as { error?: { Error?: string } }).error?.Error;
    const why =
      error === "States.Timeout"
        ? `TTL of ${input.ttlSeconds} s ran out`
        : error
          ? `watching the anomaly failed (${error})`
          : "the anomaly was resolved";
    const outcomes: string[] = [];
    for (const [k, entry] of Object.entries(record.applied)) {
      const unit = unitOf(entry.type);
      if (!unit || !REVERTIBLE.has(entry.status)) continue;
      const save = (status: string, note: string) =>
        updateResponse(
          deps.store,
          input.anomalyId,
          { applied: { [k]: { ...entry, status, note, at: deps.store.now().toISOString() } } },
          { executionArn: payload.execution },
        );
      // Write-ahead for the revert too: a retry after the revert's own write knows it may have landed.
      const out = await unit.revert(deps, entry, async () => {
        if (entry.status !== "reverting")
          await save("reverting", `reverting: back to ${String(entry.previous)}`);
      });
      const status = out.reverted ? "reverted" : "revert-skipped";
      await save(status, out.note);
      await audit(deps, input, payload, status, `${why}: ${out.note}`, {
        action: entry.type,
        target: entry.target,
      });
      outcomes.push(`${entry.target}: ${status}`);
    }
    await updateResponse(
      deps.store,
      input.anomalyId,
      { set: { status: "ended" }, remove: ["watchToken", "approvalToken", "pending"] },
      { executionArn: payload.execution },
    );
    await audit(deps, input, payload, "ended", `${why}: ${outcomes.join(", ") || "nothing to revert"}`);
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
