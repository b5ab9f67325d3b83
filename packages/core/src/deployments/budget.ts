import { DescribeAlarmsCommand } from "@aws-sdk/client-cloudwatch";
import { DeleteCommand, PutCommand } from "@aws-sdk/lib-dynamodb";
import * as z from "zod";
import type { Deployment } from "../config/index.ts";
import type { CoreDeps, ReactionResult, TriggerDeps } from "../context.ts";
import { awsStep, ErrorNames, SwitchyardError } from "../errors.ts";
import type { BusEvent } from "../events/envelope.ts";
import type { AlarmStateChangeDetail } from "../events/parse.ts";
import { notify } from "../notify/notify.ts";
import { readControlAndDeployments, readItem, recordAudit } from "../store/state.ts";
import { stateTable } from "../store/table.ts";
import { readAlias } from "./alias.ts";
import { rollBack } from "./rollback.ts";
import {
  BUDGET_ALARM_PREFIX,
  BUDGET_LEVELS,
  type BudgetLevel,
  budgetAlarmName,
  budgetAlarmsOf,
} from "./slo.ts";

/** Reacting to the error budgets' alarms and checking them before a start and each step (slo.ts has their shape). */

const BudgetRun = z.object({
  exhausted: z.string(),
  critical: z.string(),
  onCritical: z.enum(["freeze", "rollback"]),
});

/** The deploy input's `budget`: the alarm names and the policy, so a console replay checks the same. */
export function budgetInput(deployment: Deployment): { budget?: z.infer<typeof BudgetRun> } {
  if (!deployment.slo) return {};
  return {
    budget: {
      exhausted: budgetAlarmName(deployment.name, "exhausted"),
      critical: budgetAlarmName(deployment.name, "critical"),
      onCritical: deployment.slo.onCritical,
    },
  };
}

/** A deployment's freeze: why new deployments of it wait for an operator. */
export interface Freeze {
  readonly level: BudgetLevel;
  readonly reason: string;
  readonly alarm: string;
  readonly at: string;
  readonly eventId: string;
  /** The version the emergency rollback put back (the last that met the SLO), when it did. */
  readonly rolledBackTo?: string;
}

const freezeKey = (deployment: string) => ({
  [stateTable.partitionKey]: `deployment#${deployment}`,
  [stateTable.sortKey]: "freeze",
});

export function readFreeze(deps: CoreDeps, deployment: string): Promise<Freeze | undefined> {
  return readItem<Freeze>(deps.store, "read deploy freeze", freezeKey(deployment));
}

type Verdict = { verdict: "alarm" | "hold" | "frozen"; reason: string };

/** What the budget says now: the freeze first, then the alarms (an event not yet handled). */
async function budgetNow(deps: CoreDeps, input: { deployment: string }): Promise<Verdict | undefined> {
  const run = BudgetRun.safeParse((input as { budget?: unknown }).budget);
  if (!run.success) return undefined;
  const { exhausted, critical, onCritical } = run.data;
  const [freeze, alarms] = await Promise.all([
    readFreeze(deps, input.deployment),
    awsStep("cloudwatch:DescribeAlarms", () =>
      deps.clients.cloudwatch.send(
        new DescribeAlarmsCommand({ AlarmNames: [exhausted, critical], AlarmTypes: ["MetricAlarm"] }),
      ),
    ),
  ]);
  const firing = new Set(
    (alarms.MetricAlarms ?? []).filter((a) => a.StateValue === "ALARM").map((a) => String(a.AlarmName)),
  );
  const unfreeze = `lift it with \`switchyard unfreeze ${input.deployment} --reason …\``;
  if (freeze?.level === "exhausted" || firing.has(exhausted))
    return {
      verdict: "alarm",
      reason: `error budget exhausted (≥ ${BUDGET_LEVELS.exhausted}% consumed): ${freeze?.reason ?? `alarm ${exhausted} in ALARM`}; deploys frozen, ${unfreeze}`,
    };
  if (firing.has(critical) && onCritical === "rollback")
    return {
      verdict: "alarm",
      reason: `error budget critical (≥ ${BUDGET_LEVELS.critical}% consumed, alarm ${critical} in ALARM) and onCritical "rollback"`,
    };
  if (freeze || firing.has(critical))
    return {
      verdict: "frozen",
      reason: `error budget critical (≥ ${BUDGET_LEVELS.critical}% consumed): ${freeze?.reason ?? `alarm ${critical} in ALARM`}; deploys frozen pending approval, ${unfreeze}`,
    };
  return undefined;
}

/**
 * Before a deployment starts (the prepare step): a frozen deployment or a burning budget refuses
 * it, as a permanent error the state machine's Abandon step audits and notifies; nothing is
 * claimed or written.
 */
export async function refuseOverBudget(deps: CoreDeps, input: { deployment: string }): Promise<void> {
  const now = await budgetNow(deps, input);
  if (now) throw new SwitchyardError(ErrorNames.Permanent, `not started: ${now.reason}`);
}

/**
 * Before each step (the alarm check): an exhausted budget (or a critical one with onCritical
 * "rollback") rolls the rollout back; a freeze pending approval holds it until an operator lifts
 * the freeze (never counted against the alarm hold's limit, like an operator's pause).
 */
export async function budgetVerdict(
  deps: CoreDeps,
  input: { deployment: string },
  holdsLeft: number,
): Promise<{ verdict: "alarm" | "hold"; reason: string; holdsLeft: number } | undefined> {
  const now = await budgetNow(deps, input);
  if (!now) return undefined;
  if (now.verdict === "alarm") return { verdict: "alarm", reason: now.reason, holdsLeft };
  return { verdict: "hold", reason: `held: ${now.reason}`, holdsLeft: Math.max(1, holdsLeft) };
}

// ---- the alarm's event ---------------------------------------------------------------------------

/**
 * The burn the alarm saw, from its event's reasonData (the datapoints it evaluated), if given.
 * https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/cloudwatch-and-eventbridge.html
 */
function burnOf(reasonData: string | undefined): number | undefined {
  try {
    const data = JSON.parse(reasonData ?? "{}") as { recentDatapoints?: unknown[] };
    const points = (data.recentDatapoints ?? []).filter((p): p is number => typeof p === "number");
    return points.length > 0 ? Math.min(...points) : undefined;
  } catch {
    return undefined;
  }
}

/** The budget alarm an alarm name is, for the rollback function's dispatch (alarm.ts). */
export function budgetAlarmOf(config: TriggerDeps["config"], alarmName: string) {
  if (!alarmName.startsWith(BUDGET_ALARM_PREFIX)) return undefined;
  return budgetAlarmsOf(config.deployments).get(alarmName);
}

/**
 * A budget alarm went to ALARM. Checked against the alarm as it is now (a late or replayed event
 * is stale). Exhausted, or critical with onCritical "rollback": the freeze is written first (write
 * ahead: it names the version the rollback puts back), then the alias goes back to the record's
 * stable version — the version that served while the budget was checked before this deployment
 * started, so the last that met the SLO — fenced by the record's generation and the alias's
 * RevisionId (rollback.ts), a rollout in flight stopped. Critical otherwise: freeze only. Audited
 * and notified with the burn, the freeze and the reason.
 */
export async function onBudgetAlarm(
  deps: TriggerDeps,
  event: BusEvent<AlarmStateChangeDetail>,
  match: { deployment: Deployment; level: BudgetLevel },
): Promise<ReactionResult> {
  const { alarmName, state } = event.detail;
  const { deployment: d, level } = match;
  const base = { reaction: "rollback", executions: [] as string[], subjects: [d.name] };
  const audit = (decision: string, reason: string, details?: Record<string, unknown>) =>
    recordAudit(deps.store, {
      reaction: "rollback",
      decision,
      reason,
      subject: d.name,
      eventId: event.id,
      correlationId: event.id,
      ...(details ? { details } : {}),
    });
  if (state.value !== "ALARM")
    return { ...base, outcome: "no-action", reason: `budget alarm ${alarmName} is ${state.value}` };
  const [{ control, records }, current, alias] = await Promise.all([
    readControlAndDeployments(deps, [d.name]),
    awsStep("cloudwatch:DescribeAlarms", () =>
      deps.clients.cloudwatch.send(new DescribeAlarmsCommand({ AlarmNames: [alarmName] })),
    ),
    readAlias(deps, d.function, d.alias),
  ]);
  if (control.paused) {
    const reason = `automation paused${control.reason ? ` (${control.reason})` : ""}: budget alarm ${alarmName} not acted on`;
    await audit("no-action", reason);
    return { ...base, outcome: "paused", reason };
  }
  if (current.MetricAlarms?.[0]?.StateValue !== "ALARM") {
    const reason = `budget alarm ${alarmName} is ${current.MetricAlarms?.[0]?.StateValue ?? "missing"} now, not ALARM: stale event (${event.id}), nothing changed`;
    await audit("stale", reason);
    return { ...base, outcome: "stale", reason };
  }
  const burn = burnOf(state.reasonData);
  const consumed = `≥ ${BUDGET_LEVELS[level]}% of the error budget consumed${burn === undefined ? "" : ` (burning at ${Math.round(burn)}% of the budget rate)`}`;
  const rollback = level === "exhausted" || d.slo?.onCritical === "rollback";
  const freezes = level === "exhausted" || !rollback;
  const record = records[0];
  const open =
    record &&
    record.newVersion !== "" &&
    ["shifting", "succeeded", "rolled-back"].includes(record.status) &&
    (alias.version === record.newVersion || alias.additional?.version === record.newVersion);
  const reason = `budget alarm ${alarmName}: ${consumed}`;
  let frozen = false;
  if (freezes) {
    const freeze: Freeze = {
      level,
      reason,
      alarm: alarmName,
      at: deps.now().toISOString(),
      eventId: event.id,
      ...(rollback && open ? { rolledBackTo: record.stableVersion } : {}),
    };
    frozen = await writeFreeze(deps, d.name, freeze);
  }
  let detail = "no version of this deployment serves traffic: nothing to roll back";
  let outcome = frozen ? "frozen" : "no-action";
  if (rollback && open) {
    const out = await rollBack(
      deps,
      record,
      {
        status: "rolled-back",
        reason: `emergency rollback: ${reason}`,
        stopExecution: record.status === "shifting",
        correlationId: event.id,
        eventId: event.id,
      },
      alias,
    );
    if (record.status === "shifting") base.executions.push(record.executionArn);
    detail = out.detail;
    outcome = out.outcome === "rolled-back" ? "rolled-back" : outcome;
  } else if (!rollback) detail = `onCritical "freeze": new deployments of ${d.name} wait for an operator`;
  const decision = `budget-${level}`;
  const freezeText = freezes
    ? `; deploys of ${d.name} frozen until \`switchyard unfreeze ${d.name} --reason …\``
    : "";
  await audit(decision, `${reason}; ${detail}${freezeText}`, {
    level,
    ...(burn === undefined ? {} : { burn }),
    frozen: freezes,
  });
  await notify(deps, deps.config.notifications.topicArn, `Switchyard: ${d.name} error budget ${level}`, {
    deployment: d.name,
    alarm: alarmName,
    burn: consumed,
    reason: state.reason,
    detail,
    freeze: freezes ? `frozen: switchyard unfreeze ${d.name} --reason "…"` : "not frozen",
  });
  return { ...base, outcome, reason: `${reason}; ${detail}${freezeText}` };
}

/**
 * The freeze, written once per level: an exhausted freeze replaces a critical one, never the
 * reverse, and a second delivery of the event finds it written (a conditional PutItem).
 */
async function writeFreeze(deps: CoreDeps, deployment: string, freeze: Freeze): Promise<boolean> {
  try {
    await deps.store.db.send(
      new PutCommand({
        TableName: deps.store.table,
        Item: { ...freezeKey(deployment), ...freeze },
        ConditionExpression: "attribute_not_exists(#level) OR (#level = :critical AND :level = :exhausted)",
        ExpressionAttributeNames: { "#level": "level" },
        ExpressionAttributeValues: {
          ":critical": "critical",
          ":exhausted": "exhausted",
          ":level": freeze.level,
        },
      }),
    );
    return true;
  } catch (error) {
    if ((error as Error).name === "ConditionalCheckFailedException") return false;
    throw error;
  }
}

/**
 * `switchyard unfreeze DEPLOYMENT --reason R`: an operator lifts the freeze (a DeleteItem
 * conditional on the freeze read, so a newer freeze is never lifted unseen); audited and notified.
 * The budget alarms still guard: while one is in ALARM, new deployments stay refused.
 */
export async function unfreeze(
  deps: TriggerDeps,
  name: string,
  ask: { by: string; reason: string },
): Promise<{ outcome: string; detail: string }> {
  const freeze = await readFreeze(deps, name);
  if (!freeze) return { outcome: "not-frozen", detail: `${name} is not frozen: nothing to lift` };
  try {
    await deps.store.db.send(
      new DeleteCommand({
        TableName: deps.store.table,
        Key: freezeKey(name),
        ConditionExpression: "#at = :at",
        ExpressionAttributeNames: { "#at": "at" },
        ExpressionAttributeValues: { ":at": freeze.at },
      }),
    );
  } catch (error) {
    if ((error as Error).name === "ConditionalCheckFailedException")
      throw new Error(`the freeze of ${name} changed meanwhile: run status and decide again`);
    throw error;
  }
  await recordAudit(deps.store, {
    reaction: "operator",
    decision: "unfrozen",
    reason: `${ask.by}: ${ask.reason}; lifted the ${freeze.level} freeze of ${freeze.at} (${freeze.reason})`,
    subject: name,
  });
  await notify(deps, deps.config.notifications.topicArn, `Switchyard: ${name} unfrozen`, {
    deployment: name,
    by: ask.by,
    reason: ask.reason,
    freeze: freeze.reason,
  });
  return { outcome: "unfrozen", detail: `${name} deploys again (was frozen: ${freeze.reason})` };
}

/** What `status` shows of a deployment's budget: the alarms' states and the freeze. */
export async function budgetStatus(
  deps: CoreDeps,
  deployment: Deployment,
): Promise<{ alarms: Record<string, string>; freeze?: Freeze } | undefined> {
  if (!deployment.slo) return undefined;
  const names = Object.keys(BUDGET_LEVELS).map((l) => budgetAlarmName(deployment.name, l as BudgetLevel));
  const [freeze, out] = await Promise.all([
    readFreeze(deps, deployment.name),
    deps.clients.cloudwatch.send(new DescribeAlarmsCommand({ AlarmNames: names })),
  ]);
  const states = new Map((out.MetricAlarms ?? []).map((a) => [String(a.AlarmName), String(a.StateValue)]));
  return {
    alarms: Object.fromEntries(names.map((n) => [n, states.get(n) ?? "MISSING"])),
    ...(freeze ? { freeze } : {}),
  };
}
