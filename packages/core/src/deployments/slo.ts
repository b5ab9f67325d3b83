import { formatDuration } from "../config/duration.ts";
import type { Deployment } from "../config/index.ts";

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
 *
 * This module is the alarms planned for an SLO, with no AWS client: the stack plan imports it,
 * budget.ts reacts to the alarms; the `slo` field's schema is in config.ts.
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

/**
 * CloudWatch's bounds on an alarm's range: Period × EvaluationPeriods ≤ 7 days, and ≤ 1 day when the
 * period is under an hour; a period is a multiple of 60 s.
 * https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_PutMetricAlarm.html
 */
export function windowProblem(seconds: number): string | undefined {
  const period = seconds / SHORT_WINDOWS;
  if (!Number.isInteger(period) || period % 60 !== 0)
    return `must be a multiple of ${formatDuration(SHORT_WINDOWS * 60)}: the burn-rate alarms cut it into ${SHORT_WINDOWS} periods of whole minutes (CloudWatch periods are multiples of 60 s), e.g. "1d"`;
  if (period < 3600 && seconds > 86_400)
    return "is longer than CloudWatch evaluates an alarm whose period is under an hour (1 day): write at most 1d, or at least 12h";
  if (seconds > 604_800)
    return `is longer than CloudWatch evaluates any alarm (7 days, PutMetricAlarm): write at most "7d"`;
  return undefined;
}

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
