import { DescribeAlarmsCommand } from "@aws-sdk/client-cloudwatch";
import { startExecution } from "../aws/executions.ts";
import { configIndex } from "../config/lookup.ts";
import type { Runbook } from "../config/schema.ts";
import { type ReactionResult, resultsOf, type TriggerDeps } from "../context.ts";
import { awsStep } from "../errors.ts";
import type { HealthDetail, KnownEvent } from "../events/parse.ts";
import { automationPaused, recordAudit } from "../store/state.ts";
import { answerApproval, approvalSignals, pendingApproval } from "./approval.ts";
import { type FailoverInput, runbookInput } from "./input.ts";
import { putHealthSignal } from "./records.ts";

export interface FailoverTriggerDeps extends TriggerDeps {
  readonly failoverStateMachineArn: string;
}

type Trigger = NonNullable<FailoverInput["trigger"]>;
type FailoverEvent = Extract<KnownEvent, { kind: "cloudwatch.alarm-state-change" | "health" }>;

/** The trigger a failover's input names: the event that started it, by id, source, type and time. */
const triggerOf = (kind: "alarm" | "health", event: FailoverEvent["event"]): Trigger => ({
  kind,
  eventId: event.id,
  source: event.source,
  detailType: event["detail-type"],
  ...(event.time ? { time: event.time } : {}),
});

const result = resultsOf("failover");

/** An AWS Health issue whose latest time is older than this is over, or forged: it starts nothing. */
const HEALTH_MAX_AGE_MS = 7 * 86_400_000;

/**
 * Why an AWS Health issue is not one to act on, or undefined: it must concern an account Switchyard
 * acts for (an organisational view delivers other accounts' issues, naming them in
 * `affectedAccount`), and its latest time (`lastUpdatedTime`, else `startTime`) must be a date
 * within the last 7 days: an issue dated 1970, or any date that does not parse, is refused.
 */
function untrustedHealthIssue(deps: FailoverTriggerDeps, d: HealthDetail): string | undefined {
  const accounts = deps.config.provenance.accounts;
  if (d.affectedAccount !== undefined && !accounts.includes(d.affectedAccount)) {
    return `AWS Health ${d.eventTypeCode.slice(0, 128)} concerns account ${d.affectedAccount.slice(0, 64)}, which Switchyard does not act for (provenance.accounts: ${accounts.join(", ")})`;
  }
  const written = d.lastUpdatedTime ?? d.startTime;
  const at = Date.parse(written);
  if (!Number.isFinite(at)) {
    return `AWS Health ${d.eventTypeCode.slice(0, 128)} is dated ${JSON.stringify(written.slice(0, 64))}, which is not a date: not failing over on it`;
  }
  if (at < deps.now().getTime() - HEALTH_MAX_AGE_MS) {
    return `AWS Health ${d.eventTypeCode.slice(0, 128)} was last updated ${new Date(at).toISOString()}, more than 7 days ago: an old or replayed issue does not fail over`;
  }
  return undefined;
}

/** Execution names come from the event id: a duplicate delivery asks for an execution that exists already. */
export function failoverExecutionName(runbook: string, eventId: string): string {
  return `${runbook}-${eventId}`.replace(/[^A-Za-z0-9_-]/g, "_").slice(0, 80);
}

/**
 * A health-check alarm going to ALARM, or an AWS Health issue in a runbook's primary region,
 * starts that runbook's failover (which still asks a human unless both signals agree). AWS
 * Health issues are also recorded: they are the second signal auto-approval looks for.
 */
export async function onFailoverEvent(
  deps: FailoverTriggerDeps,
  known: FailoverEvent,
): Promise<ReactionResult> {
  const runbooks = deps.config.failover.runbooks;
  let chosen: Runbook[];
  let trigger: Trigger;
  if (known.kind === "cloudwatch.alarm-state-change") {
    const { alarmName, state } = known.event.detail;
    // A trigger alarm is named by name (in the stack's region) or by ARN (in any region; its events
    // are forwarded from there): the event's resources hold the alarm's ARN.
    const alarmArn = known.event.resources?.[0];
    const index = configIndex(deps.config);
    chosen = [
      ...new Set([
        ...index.runbooksTriggeredBy(alarmName),
        ...(alarmArn ? index.runbooksTriggeredBy(alarmArn) : []),
      ]),
    ];
    if (chosen.length === 0) return result("no-action", `alarm ${alarmName} triggers no runbook`);
    if (state.value !== "ALARM")
      return result("no-action", `alarm ${alarmName} went to ${state.value}, not ALARM`);
    // A replayed old event must not fail a region over: the alarm has to be in ALARM now.
    // Without AlarmTypes, DescribeAlarms answers metric alarms only: a composite trigger alarm
    // would read as missing (https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_DescribeAlarms.html).
    // Read where the alarm lives: CloudWatch is regional.
    const cloudwatch = known.event.region
      ? deps.clients.forRegion(known.event.region).cloudwatch
      : deps.clients.cloudwatch;
    const now = await awsStep("read trigger alarm", () =>
      cloudwatch.send(
        new DescribeAlarmsCommand({ AlarmNames: [alarmName], AlarmTypes: ["MetricAlarm", "CompositeAlarm"] }),
      ),
    );
    const current = [...(now.MetricAlarms ?? []), ...(now.CompositeAlarms ?? [])][0]?.StateValue;
    if (current !== "ALARM")
      return result("stale", `alarm ${alarmName} is ${current ?? "missing"} now: not failing over`);
    trigger = triggerOf("alarm", known.event);
  } else {
    const d = known.event.detail;
    const region = d.eventRegion ?? known.event.region ?? "";
    if (d.eventTypeCategory !== "issue")
      return result(
        "no-action",
        `AWS Health ${d.eventTypeCategory} ${d.eventTypeCode}: only issues fail over`,
      );
    // Checked before the signal is kept: a foreign or stale issue must not become a second signal.
    const untrusted = untrustedHealthIssue(deps, d);
    if (untrusted) return result("rejected", untrusted);
    await putHealthSignal(deps.store, {
      region,
      service: d.service,
      eventTypeCode: d.eventTypeCode,
      eventArn: d.eventArn,
      status: d.statusCode ?? "open",
      at: deps.now().toISOString(),
    });
    chosen = runbooks.filter((r) => r.triggers.health && r.primaryRegion === region);
    if (d.statusCode === "closed")
      return result("recorded", `AWS Health ${d.eventTypeCode} in ${region} is closed`);
    if (chosen.length === 0)
      return result(
        "recorded",
        `AWS Health ${d.eventTypeCode} in ${region}: no runbook has it as primary region`,
      );
    trigger = triggerOf("health", known.event);
  }
  const control = await automationPaused(deps);
  if (control.paused) {
    await recordAudit(deps.store, {
      reaction: "failover",
      decision: "paused",
      reason: "automation is paused",
      eventId: known.event.id,
    });
    return result("paused", `automation is paused${control.reason ? ` (${control.reason})` : ""}`);
  }
  const executions: string[] = [];
  const answered: string[] = [];
  for (const runbook of chosen) {
    // A failover of this runbook waits for a human: this signal may be the second one that agrees.
    // (An approval whose execution has ended is cleared: it never blocks this one.)
    const waiting = await pendingApproval(deps, runbook.name);
    if (waiting) {
      const signals = await approvalSignals(deps, {
        signals: { alarms: runbook.triggers.alarms },
        primaryRegion: runbook.primaryRegion,
      });
      const agree = runbook.approval.autoApprove && signals.alarm !== null && signals.health !== null;
      if (agree)
        await answerApproval(deps, runbook.name, {
          approve: true,
          by: `auto: alarm ${signals.alarm} and AWS Health ${signals.health}`,
        });
      else
        await recordAudit(deps.store, {
          reaction: "failover",
          decision: "waiting",
          reason: `a failover of ${runbook.name} already waits for approval; ${trigger.kind} ${trigger.eventId} adds no second run`,
          subject: runbook.name,
          eventId: known.event.id,
        });
      answered.push(
        `${runbook.name}: ${agree ? "approved (both signals agree)" : "already waiting for approval"}`,
      );
      continue;
    }
    const input = runbookInput(runbook, {
      notifyTopicArn: deps.config.notifications.topicArn ?? null,
      dryRun: deps.config.safety.dryRun,
      trigger,
    });
    const name = failoverExecutionName(runbook.name, known.event.id);
    const executionArn = await awsStep("start failover", () =>
      startExecution(deps.clients.sfn, deps.failoverStateMachineArn, name, JSON.stringify(input)),
    );
    if (executionArn === undefined) {
      await recordAudit(deps.store, {
        reaction: "failover",
        decision: "duplicate",
        reason: `execution ${name} exists already`,
        subject: runbook.name,
        eventId: known.event.id,
      });
      continue;
    }
    executions.push(executionArn);
    await recordAudit(deps.store, {
      reaction: "failover",
      decision: "started",
      reason: `${trigger.kind} ${trigger.eventId} → failover ${runbook.primaryRegion} → ${runbook.secondaryRegion}`,
      subject: runbook.name,
      eventId: known.event.id,
      correlationId: known.event.id,
    });
  }
  if (executions.length === 0 && answered.length > 0) {
    const approved = answered.some((a) => a.includes("approved"));
    return result(
      approved ? "approved" : "waiting",
      answered.join("; "),
      [],
      chosen.map((r) => r.name),
    );
  }
  return executions.length
    ? result(
        "started",
        `failover of ${chosen.map((r) => r.name).join(", ")}`,
        executions,
        chosen.map((r) => r.name),
      )
    : result(
        "duplicate",
        "the failover for this event was started already",
        [],
        chosen.map((r) => r.name),
      );
}
