import type { Config } from "../../packages/core/src/config/index.ts";
import {
  type BudgetAlarmDefinition,
  budgetAlarmDefinitions,
} from "../../packages/core/src/deployments/slo.ts";

/**
 * The error budgets' burn-rate alarms (issue #12, docs/decisions/0028-error-budgets-and-promotion.md):
 * two CloudWatch metric-math alarms per deployment that names an SLO, as core defines them
 * (deployments/slo.ts), so the stack, the local control plane and the tests create the same
 * alarms. They need no alarm action: CloudWatch puts every state change on the default bus, where
 * the rollback rule hears it.
 * https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/cloudwatch-and-eventbridge.html
 */
export type BudgetAlarmPlan = BudgetAlarmDefinition;

export function planBudgetAlarms(config: Config): BudgetAlarmPlan[] {
  return config.deployments.flatMap(budgetAlarmDefinitions);
}

/** The Pulumi `aws.cloudwatch.MetricAlarm` arguments of a budget alarm (metricQueries, not a metric). */
export function budgetAlarmArgs(alarm: BudgetAlarmPlan) {
  return {
    name: alarm.AlarmName,
    alarmDescription: alarm.AlarmDescription,
    metricQueries: alarm.Metrics.map((q) => ({
      id: q.Id,
      returnData: q.ReturnData,
      ...(q.Expression ? { expression: q.Expression } : {}),
      ...(q.Label ? { label: q.Label } : {}),
      ...(q.MetricStat
        ? {
            metric: {
              namespace: q.MetricStat.Metric.Namespace,
              metricName: q.MetricStat.Metric.MetricName,
              dimensions: Object.fromEntries(q.MetricStat.Metric.Dimensions.map((d) => [d.Name, d.Value])),
              period: q.MetricStat.Period,
              stat: q.MetricStat.Stat,
            },
          }
        : {}),
    })),
    evaluationPeriods: alarm.EvaluationPeriods,
    datapointsToAlarm: alarm.DatapointsToAlarm,
    threshold: alarm.Threshold,
    comparisonOperator: alarm.ComparisonOperator,
    treatMissingData: alarm.TreatMissingData,
  };
}
