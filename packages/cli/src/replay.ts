import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import { createInterface } from "node:readline";
import type { Config } from "@switchyard/core/config/index";
import { isSnsLambdaEvent } from "@switchyard/core/cost/anomaly";
import { parseEvent } from "@switchyard/core/events/parse";
import { type AuditRecord, listAudit } from "@switchyard/core/store/state";
import type { BusEventOut, CallRecord, ExecutionRecord, LaterOutcome } from "@switchyard/sim";
import { type ControlPlane, LOCAL_NAMES, startControlPlane } from "./local/control-plane.ts";
import { deadLetterReason, laterLine } from "./timeline.ts";

export interface ReactionReport {
  reaction: string;
  /** The handler's own decision (started, duplicate, rolled-back, no-action, ...). */
  decision: string;
  execution?: string;
  /** The end result: the execution's outcome when the reaction started one, else the decision. */
  outcome: string;
  reason: string;
  calls: string[];
  /**
   * What Lambda did after the first attempt failed, in virtual time ("retried at +1 min: …", the
   * event discarded and where its record went); `outcome` is then the last attempt's.
   */
  later?: string[];
}

/** Each reaction's later steps, read once the clock has run out (Lambda's retries come later). */
const laterOf = new WeakMap<ReactionReport, () => LaterOutcome[]>();

/** Adds the reaction's later steps to its report; a retry that succeeded gives the outcome. */
function addLater(reaction: ReactionReport): void {
  const steps = laterOf.get(reaction)?.() ?? [];
  if (steps.length === 0) return;
  reaction.later = steps.map(laterLine);
  const last = steps.findLast((s) => s.kind === "retry");
  if (last?.kind !== "retry" || last.error) return;
  const result = (last.result ?? {}) as { outcome?: string; executions?: string[] };
  reaction.outcome = result.outcome ?? "invoked";
  if (!reaction.execution && result.executions?.[0]) reaction.execution = result.executions[0];
}

export interface EventReport {
  id: string;
  source: string;
  detailType: string;
  status: "accepted" | "ignored" | "rejected";
  reason?: string;
  reactions: ReactionReport[];
}

export interface ExecutionReport {
  name: string;
  arn: string;
  status: string;
  outcome: string;
  error?: string;
  cause?: string;
  transitions: number;
}

export interface ReplayReport {
  events: EventReport[];
  executions: ExecutionReport[];
  aliases: Record<string, { version: string; weights: Record<string, number> }>;
  deadLetters: { reason: string }[];
  audit: AuditRecord[];
}

/** Outcome of a deploy execution, read from how it ended. */
export function executionOutcome(e: ExecutionRecord): string {
  if (e.status === "RUNNING") return "waiting";
  const last = [...e.history].reverse().find((h) => h.type.endsWith("StateEntered"))?.stateName;
  if (e.status === "SUCCEEDED") {
    return (
      { Deployed: "deployed", DryRunDone: "dry-run", NothingToDo: "already-deployed" }[last ?? ""] ??
      "succeeded"
    );
  }
  const byError: Record<string, string> = {
    RolledBack: "rolled-back",
    ScanGateBlocked: "blocked",
    StaleExecution: "stale",
    DeploymentAbandoned: "abandoned",
    DeploymentInProgress: "superseded",
    InvalidInput: "invalid-input",
  };
  return byError[e.error ?? ""] ?? e.status.toLowerCase();
}

/** Number of state transitions (states entered), as Step Functions bills them. */
export function transitions(e: ExecutionRecord): number {
  return e.history.filter((h) => h.type.endsWith("StateEntered")).length;
}

/**
 * The facts an event states about the account, applied to the simulation before it is
 * delivered: an alarm state change means the alarm is in that state now.
 */
const observable = (event: BusEventOut): boolean =>
  event.source === "aws.cloudwatch" && event["detail-type"] === "CloudWatch Alarm State Change";

function observe(plane: ControlPlane, event: BusEventOut): void {
  if (observable(event)) {
    const detail = event.detail as { alarmName?: string; state?: { value?: string } };
    if (detail.alarmName && detail.state?.value) {
      plane.account.cloudwatch.seedAlarm(detail.alarmName, "OK");
      plane.account.cloudwatch.observeState(detail.alarmName, detail.state.value);
    }
  }
}

export interface ReplayOptions {
  /** Called after each event is delivered and settled, for live timelines. */
  onEvent?: (report: EventReport, plane: ControlPlane) => void;
  /** Runs before the first event (seed faults, pause automation, ...). */
  prepare?: (plane: ControlPlane) => Promise<void> | void;
  /** Runs after the last event, before timers run out (a human's approval, ...). */
  afterEvents?: (plane: ControlPlane) => Promise<void> | void;
}

/**
 * Runs events through the local control plane, in order: each event is delivered and every
 * execution runs until it waits (timer or task token) before the next one; after the last,
 * timers run out on the virtual clock until executions end or wait for a human.
 */
export async function replay(
  config: Config,
  events: readonly unknown[],
  options: ReplayOptions = {},
): Promise<ReplayReport> {
  const firstTime = events.map(eventTime).find((t) => t !== undefined);
  const plane = await startControlPlane(config, firstTime ? { start: firstTime } : {});
  try {
    const calls = indexCalls(plane);
    await options.prepare?.(plane);
    const reports: EventReport[] = [];
    for (const raw of events) {
      const report = await deliverOne(plane, raw, calls);
      reports.push(report);
      options.onEvent?.(report, plane);
    }
    await options.afterEvents?.(plane);
    await plane.runOut();
    for (const report of reports) {
      for (const reaction of report.reactions) {
        addLater(reaction);
        const execution = reaction.execution ? plane.account.sfn.execution(reaction.execution) : undefined;
        if (execution) {
          reaction.outcome = executionOutcome(execution);
          reaction.calls = actions(calls.of(report.id));
        }
      }
    }
    return {
      events: reports,
      executions: plane.account.sfn.executions().map((e) => ({
        name: e.name,
        arn: e.arn,
        status: e.status,
        outcome: executionOutcome(e),
        ...(e.error ? { error: e.error } : {}),
        ...(e.cause ? { cause: e.cause } : {}),
        transitions: transitions(e),
      })),
      aliases: plane.aliases(),
      deadLetters: plane.account.sqs.messages(LOCAL_NAMES.dlq).map((m) => ({ reason: deadLetterReason(m) })),
      audit: await listAudit(plane.store),
    };
  } finally {
    await plane.close();
  }
}

/** The event's own time (ms since epoch), when it states one. */
function eventTime(e: unknown): number | undefined {
  const t = e && typeof e === "object" ? Date.parse(String((e as { time?: unknown }).time)) : Number.NaN;
  return Number.isFinite(t) ? t : undefined;
}

/**
 * The account's calls by the id of the event whose reaction made them, kept as they are made:
 * looking an event's calls up costs the calls of that event, not every call of the replay.
 */
interface CallIndex {
  of(eventId: string, principal?: string): CallRecord[];
  /** Forgets every event's calls (a long replay that keeps only counts). */
  clear(): void;
}

function indexCalls(plane: ControlPlane): CallIndex {
  const byEvent = new Map<string, CallRecord[]>();
  plane.account.onCall((call) => {
    if (call.eventId === undefined) return;
    const list = byEvent.get(call.eventId);
    if (list) list.push(call);
    else byEvent.set(call.eventId, [call]);
  });
  return {
    of: (eventId, principal) =>
      (byEvent.get(eventId) ?? []).filter((c) => principal === undefined || c.principal === principal),
    clear: () => byEvent.clear(),
  };
}

const actions = (calls: readonly CallRecord[]): string[] => [
  ...new Set(calls.map((c) => `${c.service}:${c.action}`)),
];

/** Counts of a replay that kept no per-event report: what `--summary` prints. */
export interface ReplaySummary {
  events: number;
  statuses: Record<EventReport["status"], number>;
  /** Decisions by reaction, as the handlers returned them. */
  reactions: Record<string, Record<string, number>>;
  /** How the executions the replay started ended (after timers ran out). */
  executions: Record<string, number>;
  /** Lines of the input that were not JSON, by line number (the first 20). */
  unreadable: { line: number; reason: string }[];
  unreadableCount: number;
  deadLetters: number;
  seconds: number;
  eventsPerSecond: number;
}

/** One item of a replay's input: a value, or a line that could not be read as one. */
export type ReplayInput = { value: unknown } | { line: number; reason: string };

export interface SummaryOptions {
  /** Called after each event, with the number of events so far (progress bars). */
  onEvent?: (count: number) => void;
}

/**
 * Replays a stream of events through the local control plane and keeps only counts, so that
 * memory does not grow with the stream: the events are read as they are replayed, no report is
 * kept per event, and the account's logs of calls and deliveries are emptied after each event
 * (the counts are taken first). Executions the stream started and the dead-letter queue do grow, with the
 * reactions, not with the events.
 */
export async function replaySummary(
  config: Config,
  input: AsyncIterable<ReplayInput> | Iterable<ReplayInput>,
  options: SummaryOptions = {},
): Promise<ReplaySummary> {
  const iterator = (
    Symbol.asyncIterator in input ? input[Symbol.asyncIterator]() : toAsync(input)
  ) as AsyncIterator<ReplayInput>;
  const summary: ReplaySummary = {
    events: 0,
    statuses: { accepted: 0, ignored: 0, rejected: 0 },
    reactions: {},
    executions: {},
    unreadable: [],
    unreadableCount: 0,
    deadLetters: 0,
    seconds: 0,
    eventsPerSecond: 0,
  };
  let next = await iterator.next();
  // The clock starts at the first readable event's time, as `replay` does.
  const skipped: ReplayInput[] = [];
  while (!next.done && !("value" in next.value)) {
    skipped.push(next.value);
    next = await iterator.next();
  }
  const first = next.done ? undefined : eventTime((next.value as { value: unknown }).value);
  const plane = await startControlPlane(config, first ? { start: first } : {});
  try {
    const calls = indexCalls(plane);
    const started = performance.now();
    const count = async (item: ReplayInput) => {
      summary.events++;
      if (!("value" in item)) {
        summary.statuses.rejected++;
        summary.unreadableCount++;
        if (summary.unreadable.length < 20) summary.unreadable.push(item);
      } else {
        const report = await deliverOne(plane, item.value, calls);
        summary.statuses[report.status]++;
        for (const r of report.reactions) {
          const byDecision = summary.reactions[r.reaction] ?? {};
          byDecision[r.decision] = (byDecision[r.decision] ?? 0) + 1;
          summary.reactions[r.reaction] = byDecision;
        }
        // The account's logs of calls and bus deliveries are for reports; a summary has its counts.
        calls.clear();
        plane.account.calls.length = 0;
        plane.account.events.deliveries.length = 0;
      }
      options.onEvent?.(summary.events);
    };
    for (const item of skipped) await count(item);
    while (!next.done) {
      await count(next.value);
      next = await iterator.next();
    }
    summary.seconds = (performance.now() - started) / 1000;
    summary.eventsPerSecond = summary.seconds > 0 ? Math.round(summary.events / summary.seconds) : 0;
    await plane.runOut();
    for (const e of plane.account.sfn.executions()) {
      const outcome = executionOutcome(e);
      summary.executions[outcome] = (summary.executions[outcome] ?? 0) + 1;
    }
    summary.deadLetters = plane.account.sqs.messages(LOCAL_NAMES.dlq).length;
    return summary;
  } finally {
    await plane.close();
  }
}

async function* toAsync<T>(items: Iterable<T>): AsyncGenerator<T> {
  yield* items;
}

/**
 * Reads a JSON-lines file (one event per line; blank lines skipped) as it is replayed, calling
 * `onBytes` with the bytes read so far. A line that is not JSON is an item of its own, to be
 * counted as rejected, not the end of the replay.
 */
export async function* readJsonLines(
  file: string,
  onBytes?: (read: number, total: number) => void,
): AsyncGenerator<ReplayInput> {
  const { size } = await stat(file);
  const stream = createReadStream(file, { encoding: "utf8", highWaterMark: 1 << 16 });
  const lines = createInterface({ input: stream, crlfDelay: Number.POSITIVE_INFINITY });
  let line = 0;
  let read = 0;
  for await (const text of lines) {
    line++;
    read += Buffer.byteLength(text) + 1;
    onBytes?.(Math.min(read, size), size);
    if (text.trim() === "") continue;
    try {
      yield { value: JSON.parse(text) as unknown };
    } catch (error) {
      yield { line, reason: `line ${line}: not JSON (${(error as Error).message})` };
    }
  }
  onBytes?.(size, size);
}

/**
 * A progress bar on a stream: redrawn in place on a terminal, a line at each tenth otherwise
 * (a log keeps it readable). At most ten redraws a second.
 */
export function progressBar(
  out: { write(s: string): unknown; isTTY?: boolean },
  label: string,
): { update(done: number, total: number, events: number): void; end(): void } {
  let lastDraw = 0;
  let lastTenth = -1;
  const started = performance.now();
  let line = "";
  const render = (done: number, total: number, events: number) => {
    const fraction = total > 0 ? done / total : 1;
    const width = 30;
    const filled = Math.round(fraction * width);
    const seconds = (performance.now() - started) / 1000;
    const rate = seconds > 0 ? Math.round(events / seconds) : 0;
    return `${label} [${"#".repeat(filled)}${".".repeat(width - filled)}] ${Math.floor(fraction * 100)}% ${events.toLocaleString("en-US")} events, ${rate.toLocaleString("en-US")}/s`;
  };
  return {
    update(done, total, events) {
      const now = performance.now();
      const tenth = total > 0 ? Math.floor((10 * done) / total) : 10;
      if (out.isTTY) {
        if (now - lastDraw < 100 && done < total) return;
        lastDraw = now;
        line = render(done, total, events);
        out.write(`\r${line}`);
      } else if (tenth > lastTenth) {
        lastTenth = tenth;
        line = render(done, total, events);
        out.write(`${line}\n`);
      }
    },
    end() {
      if (out.isTTY && line !== "") out.write("\n");
    },
  };
}

/**
 * An event happens at its own time: what the account does meanwhile (a Wait state, a Lambda
 * update completing) happens first. Timers due before the event fire in order; the clock then
 * moves to the event's time unless a human's wait would fall due on the way.
 */
async function untilEventTime(plane: ControlPlane, at: number): Promise<void> {
  if (!Number.isFinite(at)) return;
  const clock = plane.account.clock;
  for (;;) {
    const next = clock.pending()[0];
    if (!next || next.at > at) break;
    clock.advance();
    await plane.settle();
  }
  const blocked = clock.pending({ includeHumanWaits: true }).some((t) => t.at <= at);
  if (!blocked && at > clock.now()) clock.tick(at - clock.now());
}

/**
 * Delivers events one at a time the way `replay` does, for a long-running plane (switchyard dev):
 * the calls are indexed once, for the plane's whole life.
 */
export function eventDeliverer(plane: ControlPlane): (raw: unknown) => Promise<EventReport> {
  const calls = indexCalls(plane);
  return (raw) => deliverOne(plane, raw, calls);
}

async function deliverOne(plane: ControlPlane, raw: unknown, calls: CallIndex): Promise<EventReport> {
  if (isSnsLambdaEvent(raw)) return deliverSns(plane, raw, calls);
  const envelope = (raw && typeof raw === "object" ? raw : {}) as Record<string, unknown>;
  const head = {
    id: typeof envelope.id === "string" ? envelope.id : "",
    source: typeof envelope.source === "string" ? envelope.source : "",
    detailType: typeof envelope["detail-type"] === "string" ? envelope["detail-type"] : "",
  };
  const routable = head.source !== "" && head.detailType !== "" && head.id !== "";
  // Parsed when its answer is needed: to reject what the bus cannot route, to observe an alarm's
  // state before delivery, to judge what a rule matched. An event no rule matches is ignored
  // whatever the parser would say, so it is not parsed.
  let parsedOnce: ReturnType<typeof parseEvent> | undefined;
  const parsed = () => {
    parsedOnce ??= parseEvent(raw);
    return parsedOnce;
  };
  if (!routable) {
    const result = parsed();
    if (!result.ok) return { ...head, status: "rejected", reason: result.reason, reactions: [] };
  }
  const event = {
    version: "0",
    account: plane.account.accountId,
    region: plane.account.region,
    time: plane.account.clock.iso(),
    resources: [],
    ...envelope,
  } as unknown as BusEventOut;
  await untilEventTime(plane, Date.parse(String(envelope.time)));
  if (observable(event) && parsed().ok) observe(plane, event);
  const delivery = await plane.deliver(event);
  const reactions: ReactionReport[] = delivery.outcomes.map((o) => {
    const result = (o.result ?? {}) as {
      reaction?: string;
      outcome?: string;
      reason?: string;
      executions?: string[];
    };
    const execution = result.executions?.[0] ?? o.executionArn;
    const decision = o.error ? "error" : (result.outcome ?? "invoked");
    const reaction: ReactionReport = {
      reaction: result.reaction ?? o.target,
      decision,
      ...(execution ? { execution } : {}),
      outcome: decision,
      reason: o.error ? `${o.error.errorType}: ${o.error.errorMessage}` : (result.reason ?? ""),
      calls: actions(calls.of(head.id, `switchyard-${o.target}`)),
    };
    laterOf.set(reaction, () => delivery.later.filter((s) => s.rule === o.rule && s.target === o.target));
    return reaction;
  });
  // No rule matched: EventBridge would never have delivered this event, so it is not malformed, only unwanted.
  if (delivery.rules.length === 0) {
    return { ...head, status: "ignored", reason: "no rule matches this event", reactions };
  }
  const result = parsed();
  if (!result.ok) {
    return { ...head, status: "rejected", reason: result.reason, reactions };
  }
  const acted = reactions.some((r) => r.decision !== "rejected");
  return {
    ...head,
    status: acted ? "accepted" : "ignored",
    ...(acted ? {} : { reason: "no rule matches this event" }),
    reactions,
  };
}

/**
 * The one delivery that does not come off the bus: Cost Anomaly Detection's SNS alerts, as the
 * Lambda SNS event (`{ "Records": [{ "EventSource": "aws:sns", "Sns": { "Message": "<json>" } }] }`)
 * that SNS hands the subscribed cost-intake function. Invoked as SNS would, asynchronously;
 * the report names it by the first record's MessageId, with source "aws:sns".
 */
async function deliverSns(plane: ControlPlane, raw: unknown, calls: CallIndex): Promise<EventReport> {
  const records = (raw as { Records: { Sns?: { MessageId?: unknown } }[] }).Records;
  const id = String(records[0]?.Sns?.MessageId ?? "");
  const target = "cost-intake";
  const out = await plane.account.activity.track(() =>
    plane.account.lambda.invoke(`${LOCAL_NAMES.functionPrefix}${target}`, raw, {
      principal: "sns.amazonaws.com",
      ...(id ? { eventId: id } : {}),
    }),
  );
  await plane.settle();
  const result = (out.result ?? {}) as {
    reaction?: string;
    outcome?: string;
    reason?: string;
    executions?: string[];
  };
  const decision = out.error ? "error" : (result.outcome ?? "invoked");
  const reason = out.error ? `${out.error.errorType}: ${out.error.errorMessage}` : (result.reason ?? "");
  const execution = result.executions?.[0];
  return {
    id,
    source: "aws:sns",
    detailType: "SNS Notification",
    status: decision === "rejected" ? "rejected" : "accepted",
    ...(decision === "rejected" ? { reason } : {}),
    reactions: [
      {
        reaction: result.reaction ?? target,
        decision,
        ...(execution ? { execution } : {}),
        outcome: decision,
        reason,
        calls: actions(calls.of(id, `${LOCAL_NAMES.functionPrefix}${target}`)),
      },
    ],
  };
}

/**
 * `switchyard replay --from events.jsonl [--summary]`: streams a JSON-lines file through the
 * control plane with a progress bar on `err`. With `--summary` (or `--json`) it prints counts;
 * the per-event report of `replay FILE...` would keep every event in memory.
 */
export async function replayJsonLines(
  config: Config,
  file: string,
  options: {
    json: boolean;
    out?: { write(s: string): unknown };
    err?: { write(s: string): unknown; isTTY?: boolean };
    /** Receives the finished summary (`--strict` reads its rejections). */
    onSummary?: (summary: ReplaySummary) => void;
  },
): Promise<number> {
  await stat(file).catch((error: NodeJS.ErrnoException) => {
    throw new Error(
      `${file}: cannot be read (${error.code ?? error.message}); give a JSON-lines file of events`,
    );
  });
  const out = options.out ?? process.stdout;
  const err = options.err ?? process.stderr;
  const bar = progressBar(err, "replay");
  let bytes = 0;
  let total = 0;
  const summary = await replaySummary(
    config,
    readJsonLines(file, (read, size) => {
      bytes = read;
      total = size;
    }),
    { onEvent: (events) => bar.update(bytes, total, events) },
  );
  bar.update(total, total, summary.events);
  bar.end();
  options.onSummary?.(summary);
  out.write(options.json ? `${JSON.stringify(summary, null, 2)}\n` : summaryText(summary));
  return 0;
}

export function summaryText(s: ReplaySummary): string {
  const lines = [
    `${s.events.toLocaleString("en-US")} events in ${s.seconds.toFixed(1)} s (${s.eventsPerSecond.toLocaleString("en-US")} events/s): ` +
      `${s.statuses.accepted} accepted, ${s.statuses.ignored} ignored, ${s.statuses.rejected} rejected`,
  ];
  for (const [reaction, decisions] of Object.entries(s.reactions).sort())
    lines.push(
      `  ${reaction}: ${Object.entries(decisions)
        .sort((a, b) => b[1] - a[1])
        .map(([d, n]) => `${d} ${n}`)
        .join(", ")}`,
    );
  const ended = Object.entries(s.executions).sort((a, b) => b[1] - a[1]);
  if (ended.length > 0) lines.push(`executions: ${ended.map(([o, n]) => `${o} ${n}`).join(", ")}`);
  lines.push(`dead letters: ${s.deadLetters}`);
  if (s.unreadableCount > 0) {
    lines.push(`unreadable lines: ${s.unreadableCount}`);
    for (const u of s.unreadable) lines.push(`  ${u.reason}`);
  }
  return `${lines.join("\n")}\n`;
}
