import type { AlarmPlan } from "./alarms.ts";
import type { StateMachinePlan } from "./machines.ts";
import type { RulePlan } from "./rules.ts";
import type { SecretRotationPlan, TablePlan } from "./stack.ts";

/**
 * The inputs stacks/switchyard.ts creates each planned resource with, in the AWS provider's
 * argument names: one mapping from the plan, which the stack test reads its expectations from
 * (both import it whole: `resourceArgs.metricAlarm(alarm)`).
 */

/** The state table (`aws.dynamodb.Table`): its keys, TTL, point-in-time recovery and deletion protection. */
export const table = (table: TablePlan) => ({
  name: table.name,
  billingMode: table.billingMode,
  hashKey: table.partitionKey.name,
  rangeKey: table.sortKey.name,
  attributes: [table.partitionKey, table.sortKey],
  ttl: { attributeName: table.ttlAttribute, enabled: true },
  pointInTimeRecovery: { enabled: table.pointInTimeRecovery },
  deletionProtectionEnabled: table.deletionProtection,
});

/** A self-monitoring alarm (`aws.cloudwatch.MetricAlarm`). */
export const metricAlarm = (alarm: AlarmPlan) => ({
  name: alarm.name,
  alarmDescription: alarm.description,
  namespace: alarm.namespace,
  metricName: alarm.metricName,
  dimensions: alarm.dimensions,
  statistic: alarm.statistic,
  period: alarm.periodSeconds,
  evaluationPeriods: alarm.evaluationPeriods,
  threshold: alarm.threshold,
  comparisonOperator: alarm.comparisonOperator,
  treatMissingData: alarm.treatMissingData,
  alarmActions: alarm.actions,
});

/** A rule (`aws.cloudwatch.EventRule`): its schedule, or else its pattern. */
export const eventRule = (rule: RulePlan) => ({
  name: rule.name,
  description: rule.description,
  eventBusName: rule.eventBusName,
  ...(rule.scheduleExpression
    ? { scheduleExpression: rule.scheduleExpression }
    : { eventPattern: rule.pattern }),
});

/** A rule's function target (`aws.cloudwatch.EventTarget`) with its dead-letter queue and retry policy. */
export const eventTarget = (rule: RulePlan) => ({
  rule: rule.name,
  eventBusName: rule.eventBusName,
  arn: rule.target.arn,
  deadLetterConfig: { arn: rule.target.deadLetterArn },
  retryPolicy: rule.target.retryPolicy,
});

/** The resource-based grant (`aws.lambda.Permission`) that lets one caller invoke `functionArn`. */
export const invokePermission = (
  grant: RulePlan["invokePermission"] | SecretRotationPlan["invokePermission"],
  functionArn: string,
) => ({
  action: grant.action,
  function: functionArn,
  principal: grant.principal,
  sourceArn: grant.sourceArn,
});

/** A state machine's logging to its log group and its tracing (`aws.sfn.StateMachine`). */
export const stateMachineObservability = (sm: StateMachinePlan) => ({
  loggingConfiguration: {
    level: sm.logging.level,
    includeExecutionData: sm.logging.includeExecutionData,
    logDestination: `${sm.logGroup.arn}:*`,
  },
  tracingConfiguration: { enabled: sm.tracing },
});

/** A secret's rotation (`aws.secretsmanager.SecretRotation`); the first runs on the schedule, not during the deploy. */
export const secretRotation = (rotation: SecretRotationPlan) => ({
  secretId: rotation.secretId,
  rotationLambdaArn: rotation.rotationFunctionArn,
  rotationRules: { scheduleExpression: rotation.scheduleExpression },
  rotateImmediately: false,
});
