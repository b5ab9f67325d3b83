import { SendTaskSuccessCommand } from "@aws-sdk/client-sfn";
import type { CoreDeps } from "../context.ts";
import { ErrorNames, isTransient, SwitchyardError } from "../errors.ts";
import { logger } from "../observability/logger.ts";
import { auditSortKey, recordAudit, takeActionBudget } from "../store/state.ts";
import {
  type Change,
  type CostDeps,
  type Ec2Answer,
  ec2SelectionFilters,
  ec2Started,
  ec2Stopped,
  protectedBy,
  type RevertOutcome,
  unitOf,
} from "./actions.ts";
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
  deps: CostDeps,
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
async function pendingTargets(
  deps: CostDeps,
  input: CostResponseInput,
  record: ResponseRecord,
  which: (type: string) => boolean = () => true,
) {
  const pending: { unit: NonNullable<ReturnType<typeof unitOf>>; config: ActionConfig; target: string }[] =
    [];
  for (const config of actionsOf(input)) {
    const unit = unitOf(config.type);
    if (!unit || !which(config.type)) continue;
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

const EC2 = "stop-ec2-instances";
const isEc2 = (type: string) => type === EC2;
const notEc2 = (type: string) => !isEc2(type);

/** What the revert step hands the state machine (workflows/cost-response.ts, "Reverts?"). */
interface RevertHandOff {
  /** Instances to describe before the revert looks again. */
  readonly describe?: string[];
  /** Instances recorded `reverting` for the state machine to start. */
  readonly start?: string[];
  /** Some are still stopping: wait, describe `describe`, look again (the `checks`-th time). */
  readonly settle?: true;
  readonly checks?: number;
}

/**
 * Where the state machine put its own answers in the state every step receives
 * (workflows/cost-response.ts): EC2's, since its EC2 calls are Step Functions' (ADR 0030).
 */
interface MachineState {
  readonly plan?: { value?: { describe?: unknown } };
  /** FindInstances: DescribeInstances of the instances the tier's actions may select. */
  readonly ec2Found?: Ec2Answer;
  readonly prepared?: { value?: { stop?: string[] } };
  /** StopInstances' answer, or its error. */
  readonly stopped?: { StoppingInstances?: { InstanceId?: string }[] };
  readonly stopError?: { Error?: string; Cause?: string };
  readonly result?: { value?: RevertHandOff };
  /** DescribeReverts: DescribeInstances of the instances the revert asked to look at. */
  readonly ec2Reverts?: Ec2Answer;
}
const machine = (input: CostResponseInput) => input as unknown as MachineState;

/** The deps with the state machine's EC2 answer (or none: a step that needs one then says so). */
const withEc2 = (deps: CostDeps, answer: Ec2Answer | undefined): CostDeps =>
  Object.assign(Object.create(deps) as CostDeps, { ec2: answer });

/** An AWS SDK integration's error as Step Functions names it (`Ec2.<Code>`), as the code alone. */
const sdkErrorCode = (name: string | undefined) => String(name).replace(/^Ec2\./, "");

/** The largest number of looks at an instance that is still stopping before the revert gives up (ADR 0030). */
const SETTLE_CHECKS = 30;

/**
 * Records outcomes of the apply and prepareStops steps, each the moment it is known, with its
 * audit (see recordOutcome); `done` lists them for the step's result.
 */
function recorder(deps: CostDeps, input: CostResponseInput, payload: CostStepPayload) {
  const done: string[] = [];
  const stamp = (entry: Omit<AppliedAction, "at" | "tier">): AppliedAction => ({
    ...entry,
    tier: input.tier,
    at: deps.store.now().toISOString(),
  });
  return {
    done,
    save: (entry: Omit<AppliedAction, "at" | "tier">) => putEntry(deps, input, payload, stamp(entry)),
    write: async (entry: Omit<AppliedAction, "at" | "tier">) => {
      // Each resource is recorded the moment it changes, with its audit: a failure later leaves
      // a true record, and the audit is written once whatever fails.
      const details = { action: entry.type, target: entry.target };
      await recordOutcome(deps, input, payload, {
        ...stamp(entry),
        audit: pendingAudit(deps, entry.status, entry.note, details),
      });
      done.push(`${entry.target}: ${entry.status}`);
    },
  };
}

/**
 * Applies the tier's actions of the types `which` selects to every resource they select that is
 * not settled: protected-tag guard, dry-run, action budget, write-ahead record, then the write.
 * A write the state machine makes (`handOff`) is left `applying` and passed to `handOff`.
 */
async function applyTargets(
  deps: CostDeps,
  input: CostResponseInput,
  payload: CostStepPayload,
  record: ResponseRecord,
  { write, save }: ReturnType<typeof recorder>,
  which: (type: string) => boolean,
  handOff: (target: string) => void = () => undefined,
): Promise<void> {
  for (const { unit, config, target } of await pendingTargets(deps, input, record, which)) {
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
    if (change.handOff) {
      handOff(target);
      continue;
    }
    // Outside the catch: when recording the result fails, the entry stays "applying" (the
    // write may have landed), the step fails, and the revert still covers the resource.
    await write({ type, target, status: "applied", ...change });
  }
}

/**
 * Records what the state machine's StopInstances did to the instances prepareStops handed it:
 * stopped (applied), or refused (failed, with EC2's error). An instance whose entry is no longer
 * `applying` was recorded by an earlier attempt.
 */
async function recordStops(
  input: CostResponseInput,
  record: ResponseRecord,
  { write }: ReturnType<typeof recorder>,
): Promise<void> {
  const m = machine(input);
  const stop = m.prepared?.value?.stop ?? [];
  if (!m.stopped && !m.stopError) return;
  const stopped = new Set((m.stopped?.StoppingInstances ?? []).map((i) => i.InstanceId));
  for (const id of stop) {
    const entry = record.applied[entryKey(EC2, id)];
    if (entry?.status !== "applying") continue;
    if (m.stopError)
      await write({
        type: EC2,
        target: id,
        status: "failed",
        note: `${EC2} on ${id} failed: ${sdkErrorCode(m.stopError.Error)}: ${m.stopError.Cause ?? ""}`,
        previous: entry.previous,
        set: entry.set,
      });
    else if (stopped.has(id)) await write({ type: EC2, target: id, status: "applied", ...ec2Stopped(id) });
  }
}

/** The tier's notice, sent once: by the first of prepareStops and apply to run. */
async function notifyTier(
  deps: CostDeps,
  input: CostResponseInput,
  record: ResponseRecord,
  { write }: ReturnType<typeof recorder>,
): Promise<void> {
  if (record.applied[entryKey("notify", input.tier)]) return;
  const sent = await sendCostNotice(
    deps,
    targets(input),
    notice(input, `Switchyard: cost anomaly ${input.anomalyId} at tier ${input.tier}`),
  );
  await write({ type: "notify", target: input.tier, status: "applied", note: `notified: ${sent}` });
}

/** The cost-response state machine's Task actions. */
export const COST_ACTIONS = [
  "plan",
  "requestApproval",
  "approvalEnded",
  "prepareStops",
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
    const m = machine(input);
    const filters = ec2SelectionFilters(actionsOf(input));
    // EC2 is read by the state machine (FindForPlan): the first look asks for it, the second plans.
    if (filters.length > 0 && m.plan?.value?.describe === undefined)
      return { describe: filters, needsApproval: false, ec2: true };
    await updateResponse(
      deps.store,
      input.anomalyId,
      { set: { rule: input.rule, tier: input.tier, rank: Math.max(record.rank, input.rank) } },
      { executionArn: payload.execution },
    );
    const destructive = (await pendingTargets(withEc2(deps, m.ec2Found), input, record)).filter(
      (t) => t.unit.destructive,
    );
    const needsApproval = destructive.length > 0 && !input.dryRun;
    await audit(
      deps,
      input,
      payload,
      "planned",
      `tier ${input.tier}: ${describeActions(input).join("; ")}${needsApproval ? "; destructive, so it waits for approval" : ""}${input.dryRun ? " (dry run: recorded, not applied)" : ""}`,
    );
    return { needsApproval, ec2: filters.length > 0, ...(filters.length ? { filters } : {}) };
  },

  async prepareStops(deps, input, payload) {
    const record = await flushAudits(deps, input, payload, await own(deps, input, payload));
    const stop: string[] = [];
    const rec = recorder(deps, input, payload);
    await notifyTier(deps, input, record, rec);
    await applyTargets(withEc2(deps, machine(input).ec2Found), input, payload, record, rec, isEc2, (id) =>
      stop.push(id),
    );
    return { done: rec.done, stop, stopping: stop.length > 0 };
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
    const rec = recorder(deps, input, payload);
    await recordStops(input, record, rec);
    await notifyTier(deps, input, record, rec);
    // EC2 instances were prepared (prepareStops) and stopped by the state machine before this step.
    await applyTargets(deps, input, payload, record, rec, notEc2);
    return { done: rec.done };
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

  async revert(deps, input, payload): Promise<Record<string, unknown>> {
    const record = await flushAudits(deps, input, payload, await own(deps, input, payload));
    const error = (input as { error?: { Error?: string } }).error?.Error;
    const why =
      error === "States.Timeout"
        ? `TTL of ${input.ttlSeconds} s ran out`
        : error
          ? `watching the anomaly failed (${error})`
          : "the anomaly was resolved";
    const entries = { ...record.applied };
    const m = machine(input);
    // What the state machine did for the previous pass: started these, or described those.
    const last = m.result?.value;
    const started = new Set(last?.start ?? []);
    const looked = last?.describe !== undefined;
    const toLook = Object.values(entries)
      .filter((e) => isEc2(e.type) && REVERTIBLE.has(e.status) && !started.has(e.target))
      .map((e) => e.target);
    // EC2 is read by the state machine (DescribeReverts): a pass without a fresh answer asks for one.
    if (toLook.length > 0 && !looked) return { describe: toLook } satisfies RevertHandOff;
    const ec2Deps = withEc2(deps, looked ? m.ec2Reverts : undefined);
    const start: string[] = [];
    const settle: string[] = [];
    for (const [k, entry] of Object.entries(entries)) {
      const unit = unitOf(entry.type);
      if (!unit || !REVERTIBLE.has(entry.status)) continue;
      let out: RevertOutcome;
      if (isEc2(entry.type) && started.has(entry.target)) out = ec2Started(entry.target);
      // Write-ahead for the revert too: a retry after the revert's own write knows it may have landed.
      else
        out = await unit.revert(ec2Deps, entry, async () => {
          if (entry.status !== "reverting")
            await putEntry(deps, input, payload, {
              ...entry,
              status: "reverting",
              note: `reverting: back to ${String(entry.previous)}`,
              at: deps.store.now().toISOString(),
            });
        });
      if (out.handOff === "start") start.push(entry.target);
      else if (out.handOff === "settle") settle.push(entry.target);
      else {
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
    }
    if (start.length > 0) return { start } satisfies RevertHandOff;
    if (settle.length > 0) {
      const checks = (last?.checks ?? 0) + 1;
      if (checks > SETTLE_CHECKS)
        throw new SwitchyardError(
          ErrorNames.Permanent,
          `instances ${settle.join(", ")} are still stopping after ${SETTLE_CHECKS} looks: started by nobody; a redrive looks again`,
        );
      return { settle: true, describe: settle, checks } satisfies RevertHandOff;
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
