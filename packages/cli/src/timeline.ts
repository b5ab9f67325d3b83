import type { CallRecord, Delivery, LaterOutcome } from "@switchyard/sim";
import type { ControlPlane } from "./local/control-plane.ts";

/** One thing that happened on the simulated account, in virtual time. */
export interface TimelineEntry {
  /** Time since the run began, h:mm:ss. */
  t: string;
  /** The virtual clock, ISO 8601. */
  at: string;
  /** Who: "event", a function ("deploy-steps"), a reaction ("rollback"), "note". */
  component: string;
  message: string;
  /**
   * A reaction that had nothing to do with an event another reaction acted on ("no-action:
   * alarm X guards no deployment"): shown only with --verbose.
   */
  unrelated?: true;
}

/** Seconds as h:mm:ss. */
export function hms(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  return `${Math.floor(s / 3600)}:${String(Math.floor((s % 3600) / 60)).padStart(2, "0")}:${String(s % 60).padStart(2, "0")}`;
}

/** An entry as the human line the timeline prints: "0:01:00  rollback       alias … → 100% v1". */
export function timelineLine(e: TimelineEntry): string {
  return `${e.component === "note" ? "       " : e.t}  ${e.component.padEnd(14)} ${e.message}`;
}

/**
 * What happens on the simulated account, as it happens, in virtual time. Returns a writer of
 * notes (a scenario's comments), stamped on the same clock.
 */
export function attachTimeline(
  plane: ControlPlane,
  write: (entry: TimelineEntry) => void,
): { note: (message: string) => void } {
  const start = plane.account.clock.now();
  const entry = (component: string, message: string, unrelated = false): TimelineEntry => ({
    t: hms((plane.account.clock.now() - start) / 1000),
    at: plane.account.clock.iso(),
    component,
    message,
    ...(unrelated ? { unrelated: true as const } : {}),
  });
  const line = (who: string, text: string, unrelated = false) => write(entry(who, text, unrelated));
  plane.account.events.onIncoming((event) => {
    line("event", describeEvent(event.source, event["detail-type"], event.detail));
  });
  plane.account.events.onDelivery((d: Delivery) => {
    const results = d.outcomes.map(
      (o) => (o.result ?? {}) as { reaction?: string; outcome?: string; reason?: string },
    );
    // When one reaction acted on the event, the others' "no-action" only says it was not theirs.
    const acted = d.outcomes.some(
      (o, i) => o.error || (results[i]?.outcome && results[i]?.outcome !== "no-action"),
    );
    d.outcomes.forEach((o, i) => {
      const r = results[i] ?? {};
      if (o.error) line(o.target, `error ${o.error.errorType}: ${o.error.errorMessage}`);
      else if (r.outcome)
        line(r.reaction ?? o.target, `${r.outcome}: ${r.reason ?? ""}`, acted && r.outcome === "no-action");
    });
  });
  plane.account.events.onLater((_d, step) => line(step.target, laterLine(step)));
  plane.account.onCall((c: CallRecord) => {
    const text = describeCall(c);
    if (text) line(c.principal.replace(/^switchyard-/, ""), text);
  });
  return { note: (message) => line("note", message) };
}

function describeEvent(source: string, type: string, detail: unknown): string {
  const d = (detail ?? {}) as Record<string, unknown>;
  if (type === "ECR Image Action")
    return `ECR ${String(d["action-type"])} ${String(d["repository-name"])}:${String(d["image-tag"] ?? "")} ${short(String(d["image-digest"]))}`;
  if (type === "ECR Image Scan")
    return `ECR scan ${String(d["repository-name"])} ${short(String(d["image-digest"]))}: ${JSON.stringify(d["finding-severity-counts"] ?? {})}`;
  if (type === "CloudWatch Alarm State Change") {
    const state = d.state as { value?: string } | undefined;
    const prev = d.previousState as { value?: string } | undefined;
    return `alarm ${String(d.alarmName)}: ${prev?.value ?? "?"} → ${state?.value ?? "?"}`;
  }
  if (type === "Step Functions Execution Status Change")
    return `execution ${String(d.name)} ${String(d.status)}${d.error ? ` (${String(d.error)})` : ""}`;
  return `${source} ${type}`;
}

function describeCall(c: CallRecord): string | undefined {
  const input = (c.input ?? {}) as Record<string, unknown>;
  const failed = c.error ? ` ✗ ${c.error}` : "";
  switch (`${c.service}:${c.action}`) {
    case "lambda:UpdateAlias": {
      const weights =
        (input.RoutingConfig as { AdditionalVersionWeights?: Record<string, number> } | undefined)
          ?.AdditionalVersionWeights ?? {};
      const [extra] = Object.entries(weights);
      const route = extra
        ? `${100 - Math.round(extra[1] * 100)}% v${String(input.FunctionVersion)} / ${Math.round(extra[1] * 100)}% v${extra[0]}`
        : `100% v${String(input.FunctionVersion)}`;
      return `alias ${String(input.FunctionName)}:${String(input.Name)} → ${route}${failed}`;
    }
    case "lambda:PublishVersion":
      return `publish a version of ${String(input.FunctionName)}${failed}`;
    case "lambda:UpdateFunctionCode":
      return `update ${String(input.FunctionName)} to ${short(String(input.ImageUri))}${failed}`;
    case "states:StartExecution": {
      // "...:stateMachine:switchyard-deploy" → "deploy"
      const machine =
        String(input.stateMachineArn ?? "")
          .split(":")
          .at(-1)
          ?.replace(/^switchyard-/, "") ?? "";
      return `start ${machine} ${String(input.name ?? "")}${failed}`;
    }
    case "states:StopExecution":
      return `stop ${String(input.executionArn).split(":").at(-1)} (${String(input.error ?? "")})${failed}`;
    case "states:SendTaskSuccess":
      return `task answered: ${safeDecision(String(input.output))}${failed}`;
    case "states:SendTaskFailure":
      return `task failed: ${String(input.error ?? "")} ${String(input.cause ?? "")}${failed}`;
    case "sns:Publish":
      return `notify: ${String(input.Subject ?? "")}${failed}`;
    case "sqs:SendMessage":
      return `dead-letter: ${deadLetterReason(input)}${failed}`;
    default:
      return c.error ? `${c.service}:${c.action}${failed}` : undefined;
  }
}

/** How long after the event Lambda took a later step: "+1 min", "+3 min", "+90 s". */
function after(ms: number): string {
  return ms % 60_000 === 0 ? `+${ms / 60_000} min` : `+${Math.round(ms / 1000)} s`;
}

/**
 * Lambda's later step with an event a rule handed a function: "retried at +1 min: rolled-back: …",
 * or the event discarded and where its invocation record went.
 */
export function laterLine(step: LaterOutcome): string {
  if (step.kind === "retry") {
    const r = (step.result ?? {}) as { outcome?: string; reason?: string };
    const outcome = step.error
      ? `error ${step.error.errorType}: ${step.error.errorMessage}`
      : `${r.outcome ?? "ok"}${r.reason ? `: ${r.reason}` : ""}`;
    return `retried at ${after(step.afterMs)}: ${outcome}`;
  }
  const where = step.destination
    ? step.destinationError
      ? `its record could not reach ${step.destination.split(":").at(-1)} (${step.destinationError})`
      : `record sent to ${step.destination.split(":").at(-1)}`
    : "no on-failure destination: the event is lost";
  return `gave up at ${after(step.afterMs)} after ${step.attempts} attempt${step.attempts === 1 ? "" : "s"} (${step.condition}): ${where}`;
}

/**
 * Why a message is on the dead-letter queue: the reason the function's own code gave a rejected
 * event (a message attribute), or Lambda's invocation record of an event that failed every attempt.
 */
export function deadLetterReason(message: {
  MessageAttributes?: unknown;
  MessageBody?: unknown;
  Body?: unknown;
}): string {
  const reason = (message.MessageAttributes as { reason?: { StringValue?: string } } | undefined)?.reason
    ?.StringValue;
  if (reason !== undefined) return reason;
  try {
    const record = JSON.parse(String(message.MessageBody ?? message.Body)) as {
      requestContext?: { condition?: string; approximateInvokeCount?: number };
      responsePayload?: { errorType?: string; errorMessage?: string };
    };
    const c = record.requestContext;
    if (!c?.condition) return "";
    const error = record.responsePayload;
    return `${c.condition} after ${c.approximateInvokeCount ?? "?"} attempts${error?.errorType ? ` (${error.errorType}: ${error.errorMessage ?? ""})` : ""}`;
  } catch {
    return "";
  }
}

/** A task token's answer in a few words: a decision and its reason, or the JSON itself. */
function safeDecision(output: string): string {
  try {
    const d = JSON.parse(output) as { decision?: string; reason?: string };
    return d.decision ? `${d.decision}${d.reason ? ` (${d.reason})` : ""}` : output.slice(0, 120);
  } catch {
    return output.slice(0, 120);
  }
}

function short(text: string): string {
  return text.replace(/sha256:([0-9a-f]{12})[0-9a-f]+/, "sha256:$1…");
}
