import type { Config } from "@switchyard/core/config/index";
import { isSnsLambdaEvent } from "@switchyard/core/cost/anomaly";
import { parseEvent } from "@switchyard/core/events/parse";
import { type AuditRecord, listAudit } from "@switchyard/core/store/state";
import type { BusEventOut, ExecutionRecord } from "@switchyard/sim";
import { type ControlPlane, LOCAL_NAMES, startControlPlane } from "./local/control-plane.ts";

export interface ReactionReport {
  reaction: string;
  /** The handler's own decision (started, duplicate, rolled-back, no-action, ...). */
  decision: string;
  execution?: string;
  /** The end result: the execution's outcome when the reaction started one, else the decision. */
  outcome: string;
  reason: string;
  calls: string[];
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
function observe(plane: ControlPlane, event: BusEventOut): void {
  if (event.source === "aws.cloudwatch" && event["detail-type"] === "CloudWatch Alarm State Change") {
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
  const firstTime = events
    .map((e) =>
      e && typeof e === "object" ? Date.parse(String((e as { time?: unknown }).time)) : Number.NaN,
    )
    .find((t) => Number.isFinite(t));
  const plane = await startControlPlane(config, firstTime ? { start: firstTime } : {});
  try {
    await options.prepare?.(plane);
    const reports: EventReport[] = [];
    for (const raw of events) {
      const report = await deliverOne(plane, raw);
      reports.push(report);
      options.onEvent?.(report, plane);
    }
    await options.afterEvents?.(plane);
    await plane.runOut();
    for (const report of reports) {
      for (const reaction of report.reactions) {
        const execution = reaction.execution ? plane.account.sfn.execution(reaction.execution) : undefined;
        if (execution) {
          reaction.outcome = executionOutcome(execution);
          reaction.calls = callsOf(plane, report.id);
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
      deadLetters: plane.account.sqs
        .messages(LOCAL_NAMES.dlq)
        .map((m) => ({ reason: m.MessageAttributes.reason?.StringValue ?? "" })),
      audit: await listAudit(plane.store),
    };
  } finally {
    await plane.close();
  }
}

function callsOf(plane: ControlPlane, eventId: string): string[] {
  return [...new Set(plane.account.callsOf({ eventId }).map((c) => `${c.service}:${c.action}`))];
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

async function deliverOne(plane: ControlPlane, raw: unknown): Promise<EventReport> {
  if (isSnsLambdaEvent(raw)) return deliverSns(plane, raw);
  const envelope = (raw && typeof raw === "object" ? raw : {}) as Record<string, unknown>;
  const head = {
    id: typeof envelope.id === "string" ? envelope.id : "",
    source: typeof envelope.source === "string" ? envelope.source : "",
    detailType: typeof envelope["detail-type"] === "string" ? envelope["detail-type"] : "",
  };
  const parsed = parseEvent(raw);
  const routable = head.source !== "" && head.detailType !== "" && head.id !== "";
  if (!parsed.ok && !routable) {
    return { ...head, status: "rejected", reason: parsed.reason, reactions: [] };
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
  if (parsed.ok) observe(plane, event);
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
    return {
      reaction: result.reaction ?? o.target,
      decision,
      ...(execution ? { execution } : {}),
      outcome: decision,
      reason: o.error ? `${o.error.errorType}: ${o.error.errorMessage}` : (result.reason ?? ""),
      calls: [
        ...new Set(
          plane.account
            .callsOf({ eventId: head.id, principal: `switchyard-${o.target}` })
            .map((c) => `${c.service}:${c.action}`),
        ),
      ],
    };
  });
  if (!parsed.ok) {
    return { ...head, status: "rejected", reason: parsed.reason, reactions };
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
async function deliverSns(plane: ControlPlane, raw: unknown): Promise<EventReport> {
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
        calls: [
          ...new Set(
            plane.account
              .callsOf({ eventId: id, principal: `${LOCAL_NAMES.functionPrefix}${target}` })
              .map((c) => `${c.service}:${c.action}`),
          ),
        ],
      },
    ],
  };
}
