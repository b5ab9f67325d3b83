import type { CallRecord, Delivery } from "@switchyard/sim";
import type { ControlPlane } from "./local/control-plane.ts";

/** Human lines for what happens on the simulated account, as it happens, in virtual time. */
export function attachTimeline(plane: ControlPlane, write: (line: string) => void): void {
  const start = plane.account.clock.now();
  const stamp = () => {
    const s = Math.round((plane.account.clock.now() - start) / 1000);
    return `+${String(Math.floor(s / 60)).padStart(2, "0")}:${String(s % 60).padStart(2, "0")}`;
  };
  const line = (who: string, text: string) => write(`${stamp()}  ${who.padEnd(14)} ${text}`);
  plane.account.events.onIncoming((event) => {
    line("event", describeEvent(event.source, event["detail-type"], event.detail));
  });
  plane.account.events.onDelivery((d: Delivery) => {
    for (const o of d.outcomes) {
      const r = (o.result ?? {}) as { reaction?: string; outcome?: string; reason?: string };
      if (o.error) line(o.target, `error ${o.error.errorType}: ${o.error.errorMessage}`);
      else if (r.outcome) line(r.reaction ?? o.target, `${r.outcome}: ${r.reason ?? ""}`);
    }
  });
  plane.account.onCall((c: CallRecord) => {
    const text = describeCall(c);
    if (text) line(c.principal.replace(/^switchyard-/, ""), text);
  });
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
      return `dead-letter: ${(input.MessageAttributes as { reason?: { StringValue?: string } } | undefined)?.reason?.StringValue ?? ""}${failed}`;
    default:
      return c.error ? `${c.service}:${c.action}${failed}` : undefined;
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
