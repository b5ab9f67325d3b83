import { DescribeAlarmsCommand } from "@aws-sdk/client-cloudwatch";
import { DeleteCommand, GetCommand, PutCommand } from "@aws-sdk/lib-dynamodb";
import * as z from "zod";
import { formatDuration } from "../config/duration.ts";
import type { Deployment } from "../config/index.ts";
import { duration, strict } from "../config/zod.ts";
import type { CoreDeps, ReactionResult, TriggerDeps } from "../context.ts";
import { awsStep, ErrorNames, SwitchyardError } from "../errors.ts";
import type { BusEvent } from "../events/envelope.ts";
import type { AlarmStateChangeDetail } from "../events/parse.ts";
import { notify } from "../notify/notify.ts";
import { readControlAndDeployments, recordAudit } from "../store/state.ts";
import { stateTable } from "../store/table.ts";
import { readAlias } from "./alias.ts";
import { rollBack } from "./rollback.ts";

/**
 * Error budgets (issue #12, docs/decisions/0028-error-budgets-and-promotion.md). A deployment may
 * name an SLO: an objective over a window of good and total events (by default the success rate
 * of invocations through its alias). The stack plans two burn-rate alarms per SLO, CloudWatch
 * metric-math alarms whose state changes arrive on the bus, so the budget is watched by event,
 * never polled:
 * - `exhausted`: 95% of the budget consumed → emergency rollback to the last version that met the
 *   SLO (even after the deployment finished) and a deploy freeze until an operator lifts it;
 * - `critical`: 80% consumed → roll back when the deployment opts in (`onCritical: "rollback"`),
 *   otherwise freeze new deployments pending an operator's approval (`switchyard unfreeze`).
 * The same alarms and the freeze are read before a deployment starts and before each step.
 */

/** Every budget alarm's name starts here, so the IAM grants stay scoped to them. */
export const BUDGET_ALARM_PREFIX = "switchyard-slo-";

/** The share of the budget (percent) each level's alarm fires at. */
export const BUDGET_LEVELS = { exhausted: 95, critical: 80 } as const;
export type BudgetLevel = keyof typeof BUDGET_LEVELS;

/**
 * The long window is the SLO window, cut into this many short windows (the alarm's period): the
 * Google SRE workbook's multiwindow ratio (a 1 h long window with a 5 min short one).
 * https://sre.google/workbook/alerting-on-slos/
 */
const SHORT_WINDOWS = 12;

const MetricRef = strict({
  namespace: z.string().min(1).max(255),
  metricName: z.string().min(1).max(255),
  dimensions: z.record(z.string().min(1).max(255), z.string().min(1).max(1024)).default({}),
});

/**
 * CloudWatch's bounds on an alarm's range: Period × EvaluationPeriods ≤ 7 days, and ≤ 1 day when the
 * period is under an hour; a period is a multiple of 60 s.
 * https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_PutMetricAlarm.html
 */
function windowProblem(seconds: number): string | undefined {
  const period = seconds / SHORT_WINDOWS;
  if (!Number.isInteger(period) || period % 60 !== 0)
    return `must be a multiple of ${formatDuration(SHORT_WINDOWS * 60)}: the burn-rate alarms cut it into ${SHORT_WINDOWS} periods of whole minutes (CloudWatch periods are multiples of 60 s), e.g. "1d"`;
  if (period < 3600 && seconds > 86_400)
    return "is longer than CloudWatch evaluates an alarm whose period is under an hour (1 day): write at most 1d, or at least 12h";
  if (seconds > 604_800)
    return `is longer than CloudWatch evaluates any alarm (7 days, PutMetricAlarm): write at most "7d"`;
  return undefined;
}

/** A deployment's `slo` field. */
export const SloSchema = strict({
  /** The objective in percent of good events, e.g. 99.9. */
  objective: z
    .number()
    .gt(0, { error: "must be a percentage above 0, e.g. 99.9" })
    .lt(100, { error: "must be below 100: an objective of 100% leaves no error budget" }),
  window: duration({ example: "1d" }).superRefine((seconds, ctx) => {
    const problem = windowProblem(seconds);
    if (problem) ctx.addIssue({ code: "custom", message: problem });
  }),
  /** Good and total events; both or neither (default: the alias's invocations and errors). */
  good: MetricRef.optional(),
  total: MetricRef.optional(),
  /** At 80% of the budget consumed: "freeze" (default) new deployments pending approval, or "rollback". */
  onCritical: z.enum(["freeze", "rollback"]).default("freeze"),
})
  .superRefine((slo, ctx) => {
    if ((slo.good === undefined) !== (slo.total === undefined))
      ctx.addIssue({
        code: "custom",
        path: [slo.good === undefined ? "good" : "total"],
        message:
          'is missing: name both "good" and "total" metrics, or neither for the alias\'s success rate (AWS/Lambda Invocations and Errors)',
      });
  })
  .optional();
export type Slo = NonNullable<z.output<typeof SloSchema>>;

export const budgetAlarmName = (deployment: string, level: BudgetLevel) =>
  `${BUDGET_ALARM_PREFIX}${deployment}-${level}`;

/** The budget alarms of the config's deployments that name an SLO, by alarm name. */
export function budgetAlarmsOf(
  deployments: readonly Deployment[],
): Map<string, { deployment: Deployment; level: BudgetLevel }> {
  const out = new Map<string, { deployment: Deployment; level: BudgetLevel }>();
  for (const deployment of deployments)
    if (deployment.slo)
      for (const level of Object.keys(BUDGET_LEVELS) as BudgetLevel[])
        out.set(budgetAlarmName(deployment.name, level), { deployment, level });
  return out;
}

/** One PutMetricAlarm request, as the stack plans it and the simulated account creates it. */
export interface BudgetAlarmDefinition {
  readonly AlarmName: string;
  readonly AlarmDescription: string;
  readonly Metrics: {
    Id: string;
    Expression?: string;
    Label?: string;
    MetricStat?: {
      Metric: { Namespace: string; MetricName: string; Dimensions: { Name: string; Value: string }[] };
      Period: number;
      Stat: "Sum";
    };
    ReturnData: boolean;
  }[];
  readonly EvaluationPeriods: number;
  readonly DatapointsToAlarm: number;
  readonly Threshold: number;
  readonly ComparisonOperator: "GreaterThanOrEqualToThreshold";
  readonly TreatMissingData: "notBreaching";
}

/**
 * A deployment's two burn-rate alarms (metric math). Each short window (period = window / 12)
 * yields the burn in percent of the budget rate: 100 × (total − good) / total / (1 − objective).
 * The alarm fires when every short window of the long window (the SLO window) burned at least the
 * level: then the long window consumed at least that share of the budget, and the latest short
 * window still burns (the multiwindow condition), in one alarm and one period, as CloudWatch
 * requires of a metric-math alarm (one period for its metrics).
 * https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/Create-alarm-on-metric-math-expression.html
 * Lambda publishes Invocations and Errors per alias under the Resource dimension (function:alias).
 * https://docs.aws.amazon.com/lambda/latest/dg/monitoring-metrics-types.html
 */
export function budgetAlarmDefinitions(deployment: Deployment): BudgetAlarmDefinition[] {
  const slo = deployment.slo;
  if (!slo) return [];
  const period = slo.window / SHORT_WINDOWS;
  const fn = deployment.function.split(":").at(-1) ?? deployment.function;
  const stat = (
    id: string,
    ref: { namespace: string; metricName: string; dimensions: Record<string, string> },
  ) => ({
    Id: id,
    MetricStat: {
      Metric: {
        Namespace: ref.namespace,
        MetricName: ref.metricName,
        Dimensions: Object.entries(ref.dimensions).map(([Name, Value]) => ({ Name, Value })),
      },
      Period: period,
      Stat: "Sum" as const,
    },
    ReturnData: false,
  });
  const alias = { FunctionName: fn, Resource: `${fn}:${deployment.alias}` };
  const sources =
    slo.good && slo.total
      ? [stat("good", slo.good), stat("total", slo.total)]
      : [
          stat("total", { namespace: "AWS/Lambda", metricName: "Invocations", dimensions: alias }),
          stat("errors", { namespace: "AWS/Lambda", metricName: "Errors", dimensions: alias }),
          { Id: "good", Expression: "total - errors", Label: "successful invocations", ReturnData: false },
        ];
  const budget = 1 - slo.objective / 100;
  return (Object.entries(BUDGET_LEVELS) as [BudgetLevel, number][]).map(([level, percent]) => ({
    AlarmName: budgetAlarmName(deployment.name, level),
    AlarmDescription: `${deployment.name}: ${percent}% of the error budget of its ${slo.objective}% SLO over ${formatDuration(slo.window)} consumed (Switchyard ${level})`,
    Metrics: [
      ...sources,
      {
        Id: "burn",
        Expression: `IF(total > 0, 100 * (total - good) / total / ${Number(budget.toPrecision(6))}, 0)`,
        Label: "budget burn (% of the budget rate)",
        ReturnData: true,
      },
    ],
    EvaluationPeriods: SHORT_WINDOWS,
    DatapointsToAlarm: SHORT_WINDOWS,
    Threshold: percent,
    ComparisonOperator: "GreaterThanOrEqualToThreshold",
    TreatMissingData: "notBreaching",
  }));
}

// ---- the deploy input's budget, and the checks before a start and before each step -------------

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

export async function readFreeze(deps: CoreDeps, deployment: string): Promise<Freeze | undefined> {
  const out = await awsStep("read deploy freeze", () =>
    deps.store.db.send(
      new GetCommand({ TableName: deps.store.table, Key: freezeKey(deployment), ConsistentRead: true }),
    ),
  );
  if (!out.Item) return undefined;
  const { pk: _pk, sk: _sk, ...freeze } = out.Item;
  return freeze as Freeze;
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
