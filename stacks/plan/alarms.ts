import type { Config } from "../../packages/core/src/config/index.ts";
import { rules } from "../../packages/core/src/wiring.ts";
import type { FunctionPlan } from "./functions.ts";
import type { StateMachinePlan } from "./machines.ts";
import type { Names } from "./names.ts";
import type { DeadLetterQueuePlan } from "./rules.ts";
import { rotationFunctionArn } from "./stack.ts";

/**
 * Self-monitoring: Switchyard watches its own dead-letter queue and its functions' errors, and
 * tells the operators' topic (the config's `notifications.topicArn`) when either needs a human.
 */
export interface AlarmPlan {
  name: string;
  description: string;
  namespace: string;
  metricName: string;
  dimensions: Record<string, string>;
  statistic: "Sum" | "Maximum";
  periodSeconds: number;
  evaluationPeriods: number;
  threshold: number;
  comparisonOperator: "GreaterThanOrEqualToThreshold";
  treatMissingData: "notBreaching";
  actions: string[];
}

/** CloudWatch refuses an alarm name longer than this (PutMetricAlarm, AlarmName). */
const ALARM_NAME_MAX = 255;

/**
 * Lambda's `Errors`: invocations that ended in a function error (an exception the code threw, or a
 * runtime error such as a timeout), one data point per invocation in AWS/Lambda per FunctionName;
 * read with the Sum statistic.
 * https://docs.aws.amazon.com/lambda/latest/dg/monitoring-metrics-types.html
 */
const errorsOf = (functionName: string) =>
  ({
    namespace: "AWS/Lambda",
    metricName: "Errors",
    dimensions: { FunctionName: functionName },
    statistic: "Sum",
    periodSeconds: 300,
    evaluationPeriods: 1,
    threshold: 1,
    comparisonOperator: "GreaterThanOrEqualToThreshold",
    treatMissingData: "notBreaching",
  }) as const;

/** Where an operator looks when the function failed, from how it is invoked. */
function whereToLook(f: FunctionPlan, callers: readonly string[]): string {
  if (f.name === "rotate") return "a rotation step failed: run switchyard status to see the stuck secret";
  if (f.url)
    return "a GitHub delivery failed: the webhook's Recent Deliveries in GitHub shows it and redelivers it";
  if (callers.length > 0) return `look at the ${callers.join(" and ")} executions that called it`;
  if (rules.some((r) => r.target === f.name))
    return "an event it failed on goes to the dead-letter queue once Lambda's retries are spent";
  return "look at its logs";
}

export function planAlarms(
  config: Config,
  n: Names,
  plan: {
    deadLetterQueue: DeadLetterQueuePlan;
    functions: readonly FunctionPlan[];
    stateMachines: readonly StateMachinePlan[];
  },
): AlarmPlan[] {
  const actions = config.notifications.topicArn ? [config.notifications.topicArn] : [];
  const callers = (f: FunctionPlan) =>
    plan.stateMachines
      .filter((sm) => JSON.stringify(sm.definition).includes(JSON.stringify(f.arn)))
      .map((sm) => sm.name);
  const planned = new Set(plan.functions.map((f) => f.arn));
  // A secret's own rotation function (rotator "custom") is not the stack's, but a failed rotation
  // leaves AWSPENDING behind and blocks the next one all the same: someone must look.
  const ownRotations = [...new Set(config.secrets.map((s) => rotationFunctionArn(n, s)))].filter(
    (arn) => !planned.has(arn),
  );
  return [
    {
      name: n.alarmName("dead-letters-waiting"),
      description: `Events wait in ${plan.deadLetterQueue.name}: rejected, undeliverable or failed reactions to read and redrive`,
      /**
       * SQS publishes ApproximateNumberOfMessagesVisible (messages available for retrieval) in
       * AWS/SQS per QueueName for active queues; Maximum ≥ 1 is "more than none".
       * https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-available-cloudwatch-metrics.html
       */
      namespace: "AWS/SQS",
      metricName: "ApproximateNumberOfMessagesVisible",
      dimensions: { QueueName: plan.deadLetterQueue.name },
      statistic: "Maximum",
      periodSeconds: 60,
      evaluationPeriods: 1,
      threshold: 1,
      comparisonOperator: "GreaterThanOrEqualToThreshold",
      treatMissingData: "notBreaching",
      actions,
    },
    ...plan.functions.map((f) => ({
      name: n.alarmName(`${f.name}-errors`),
      description: `${f.functionName} failed: ${whereToLook(f, callers(f))}`,
      ...errorsOf(f.functionName),
      actions,
    })),
    ...ownRotations.map((arn) => {
      const fn = arn.split(":").at(-1) ?? arn;
      return {
        name: n.alarmName(`rotation-errors-${fn}`).slice(0, ALARM_NAME_MAX),
        description: `Rotation function ${fn} failed a step: run switchyard status to see the stuck secret`,
        ...errorsOf(fn),
        actions,
      };
    }),
  ];
}
