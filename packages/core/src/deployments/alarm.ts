import { DescribeAlarmsCommand } from "@aws-sdk/client-cloudwatch";
import { configIndex } from "../config/lookup.ts";
import type { ReactionResult, TriggerDeps } from "../context.ts";
import { awsStep } from "../errors.ts";
import type { BusEvent } from "../events/envelope.ts";
import type { AlarmStateChangeDetail } from "../events/parse.ts";
import { notify } from "../notify/notify.ts";
import { readControlAndDeployments, recordAudit } from "../store/state.ts";
import { readAlias } from "./alias.ts";
import { budgetAlarmOf, onBudgetAlarm } from "./budget.ts";
import { deployNotice, noticeTargets } from "./notify.ts";
import { rollBack } from "./rollback.ts";
import { versionAlarmOwners } from "./version-alarms.ts";

/**
 * A guarding alarm went to ALARM: for every deployment it guards that is shifting now, put the
 * alias back on the stable version and stop the deploy execution. No polling: this runs on
 * the alarm's own state-change event. The event is checked against the alarm as it is now:
 * a replayed or late event for an alarm that is no longer in ALARM is stale and changes nothing.
 */
export async function onAlarm(
  deps: TriggerDeps,
  event: BusEvent<AlarmStateChangeDetail>,
): Promise<ReactionResult> {
  const { alarmName, state } = event.detail;
  const budget = budgetAlarmOf(deps.config, alarmName);
  if (budget) return onBudgetAlarm(deps, event, budget);
  // Guarding alarms by name; a new version's own alarms by their prefix (version-alarms.ts).
  const guarded = [
    ...configIndex(deps.config).guardedBy(alarmName),
    ...versionAlarmOwners(deps.config.deployments, alarmName),
  ];
  const base = { reaction: "rollback", executions: [] as string[], subjects: guarded.map((d) => d.name) };
  const audit = (decision: string, reason: string, subject?: string, executionArn?: string) =>
    recordAudit(deps.store, {
      reaction: "rollback",
      decision,
      reason,
      eventId: event.id,
      correlationId: event.id,
      ...(subject ? { subject } : {}),
      ...(executionArn ? { executionArn } : {}),
    });
  if (state.value !== "ALARM") {
    return { ...base, outcome: "no-action", reason: `alarm ${alarmName} is ${state.value}, not ALARM` };
  }
  if (guarded.length === 0) {
    await audit("no-action", `alarm ${alarmName} guards no deployment`);
    return { ...base, outcome: "no-action", reason: `alarm ${alarmName} guards no deployment` };
  }
  // Everything the decision needs, read at once: the kill switch and the records (one BatchGetItem),
  // the alarm now, the aliases.
  const [{ control, records }, current, aliases] = await Promise.all([
    readControlAndDeployments(
      deps,
      guarded.map((d) => d.name),
    ),
    awsStep("cloudwatch:DescribeAlarms", () =>
      deps.clients.cloudwatch.send(
        new DescribeAlarmsCommand({ AlarmNames: [alarmName], AlarmTypes: ["MetricAlarm", "CompositeAlarm"] }),
      ),
    ),
    Promise.all(guarded.map((d) => readAlias(deps, d.function, d.alias))),
  ]);
  if (control.paused) {
    const reason = `automation paused${control.reason ? ` (${control.reason})` : ""}: alarm ${alarmName} not acted on`;
    for (const d of guarded) await audit("no-action", reason, d.name);
    return { ...base, outcome: "paused", reason };
  }
  const alarmNow = [...(current.MetricAlarms ?? []), ...(current.CompositeAlarms ?? [])][0];
  const now = alarmNow?.StateValue;
  if (now !== "ALARM") {
    const reason = `alarm ${alarmName} is ${now ?? "missing"} now, not ALARM: stale event (${event.id}), nothing changed`;
    for (const d of guarded) await audit("stale", reason, d.name);
    return { ...base, outcome: "stale", reason };
  }
  // A composite alarm whose actions a suppressor holds back (muted): as DescribeAlarms says now,
  // else as the event says (only composite alarms have suppressors).
  const suppressedBy = current.CompositeAlarms?.[0]?.ActionsSuppressedBy ?? state.actionsSuppressedBy;
  const muted = suppressedBy !== undefined;
  const outcomes: string[] = [];
  const reasons: string[] = [];
  for (const [i, d] of guarded.entries()) {
    const record = records[i];
    if (muted && d.suppressedAlarms === "ignore") {
      const reason = `alarm ${alarmName} in ALARM, but its actions are suppressed (${suppressedBy}) and ${d.name} has suppressedAlarms "ignore": not rolled back`;
      await audit("suppressed", reason, d.name, record?.executionArn);
      outcomes.push("suppressed");
      reasons.push(reason);
      continue;
    }
    // "rolled-back" too: a retried invocation finishes a rollback that an earlier attempt began.
    const open = record && (record.status === "shifting" || record.status === "rolled-back");
    if (!record || !open || record.newVersion === "") {
      const reason = `alarm ${alarmName} in ALARM, but ${d.name} has no deployment shifting traffic: nothing to roll back`;
      await audit("no-action", reason, d.name);
      outcomes.push("no-action");
      reasons.push(reason);
      continue;
    }
    const reason = muted
      ? `alarm ${alarmName} went to ALARM: ${state.reason}; its actions are suppressed (${suppressedBy}), and ${d.name} rolls back anyway (suppressedAlarms "rollback")`
      : `alarm ${alarmName} went to ALARM: ${state.reason}`;
    const out = await rollBack(
      deps,
      record,
      { status: "rolled-back", reason, stopExecution: true, correlationId: event.id, eventId: event.id },
      aliases[i],
    );
    base.executions.push(record.executionArn);
    outcomes.push(out.outcome);
    reasons.push(out.detail);
    if (out.outcome === "rolled-back") {
      await notify(deps, deps.config.notifications.topicArn, `Switchyard: ${d.name} rolled back`, {
        deployment: d.name,
        alarm: alarmName,
        reason: state.reason,
        detail: out.detail,
        execution: record.executionArn,
      });
      // The deployment's webhook hears of it too, with the reason and the timeline (the topic's notice is above).
      const { webhookUrl } = noticeTargets(deps.config, d.name);
      if (webhookUrl)
        await deployNotice(
          deps,
          { topicArn: null, webhookUrl },
          { kind: "rolled-back", deployment: d.name, reason, executionArn: record.executionArn },
        );
    }
  }
  const outcome = outcomes.includes("rolled-back")
    ? "rolled-back"
    : outcomes.includes("stale")
      ? "stale"
      : (outcomes[0] ?? "no-action");
  return { ...base, outcome, reason: reasons.join("; ") };
}
