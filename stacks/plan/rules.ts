import type { Config } from "../../packages/core/src/config/index.ts";
import { type FunctionName, forwardingRules, rulesFor } from "../../packages/core/src/wiring.ts";
import { DEFAULT_BUS, type Names } from "./names.ts";

export interface RulePlan {
  name: string;
  arn: string;
  description: string;
  eventBusName: string;
  /** The event pattern as EventBridge takes it: JSON text. */
  pattern: string;
  /** A scheduled rule: EventBridge takes this instead of the pattern (which then only documents the Scheduled Event). */
  scheduleExpression?: string;
  target: {
    function: FunctionName;
    arn: string;
    deadLetterArn: string;
    retryPolicy: { maximumRetryAttempts: number; maximumEventAgeInSeconds: number };
  };
  /** The resource-based grant that lets this rule, and only it, invoke the target. */
  invokePermission: { action: "lambda:InvokeFunction"; principal: "events.amazonaws.com"; sourceArn: string };
}

/**
 * AWS Health events arrive only on the default bus of the region they concern: in each other
 * region the config's runbooks name, a rule with the same pattern forwards them to the stack's
 * default bus (an EventBridge cross-region bus target, which needs a role EventBridge assumes to
 * put the events: https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-cross-region.html).
 */
export interface ForwardingPlan {
  /** The role every forwarding rule's target uses; absent when nothing is forwarded. */
  role?: { name: string; arn: string; trustPolicy: string; policy: string };
  rules: {
    name: string;
    region: string;
    arn: string;
    description: string;
    eventBusName: string;
    pattern: string;
    target: { arn: string; roleArn: string };
  }[];
}

/** The forwarding rules core's wiring asks for, and the one role they put events with. */
export function planForwarding(config: Config, n: Names): ForwardingPlan {
  const forwarded = forwardingRules(config);
  if (forwarded.length === 0) return { rules: [] };
  const roleName = `${n.prefix}-forward-events`;
  const roleArn = `arn:${n.partition}:iam::${n.account}:role/${roleName}`;
  return {
    role: {
      name: roleName,
      arn: roleArn,
      trustPolicy: JSON.stringify({
        Version: "2012-10-17",
        Statement: [
          {
            Effect: "Allow",
            Principal: { Service: "events.amazonaws.com" },
            Action: "sts:AssumeRole",
            Condition: { StringEquals: { "aws:SourceAccount": n.account } },
          },
        ],
      }),
      policy: JSON.stringify({
        Version: "2012-10-17",
        Statement: [{ Effect: "Allow", Action: "events:PutEvents", Resource: n.eventBusArn }],
      }),
    },
    // Named after the region too: one name reads as one rule wherever it is listed.
    rules: forwarded.map(({ region, rule }) => ({
      name: n.ruleName(`${rule.name}-${region}`),
      region,
      arn: n.regionalArn("events", region, `rule/${n.ruleName(`${rule.name}-${region}`)}`),
      description: `${rule.description} — forwarded from ${region} to the stack's bus in ${n.region}`,
      eventBusName: DEFAULT_BUS,
      pattern: JSON.stringify(rule.pattern),
      target: { arn: n.eventBusArn, roleArn },
    })),
  };
}

/** The queue that keeps what could not be delivered or was rejected, for an operator to read and redrive. */
export interface DeadLetterQueuePlan {
  name: string;
  arn: string;
  url: string;
  messageRetentionSeconds: number;
  /** Queue policy (JSON) letting the rules, and only them, dead-letter into the queue. */
  policy: string;
}

/** An SQS queue keeps messages at most 14 days: the longest time an operator has to redrive. */
const DEAD_LETTER_RETENTION_SECONDS = 14 * 86_400;
/**
 * Retry delivery as often as EventBridge allows, but for an hour at most: an event still
 * undelivered by then lands in the dead-letter queue, whose alarm tells a human within the
 * hour instead of after EventBridge's default 24 hours.
 */
const RULE_RETRY_POLICY = { maximumRetryAttempts: 185, maximumEventAgeInSeconds: 3600 };

/** Each rule core's wiring asks for this config on the default bus, targeting its function with the dead-letter queue. */
export function planRules(config: Config, n: Names): RulePlan[] {
  return rulesFor(config).map((rule) => ({
    name: n.ruleName(rule.name),
    arn: n.ruleArn(rule.name),
    description: rule.description,
    eventBusName: DEFAULT_BUS,
    pattern: JSON.stringify(rule.pattern),
    ...(rule.schedule ? { scheduleExpression: rule.schedule } : {}),
    target: {
      function: rule.target,
      arn: n.functionArn(rule.target),
      deadLetterArn: n.queue.arn,
      retryPolicy: { ...RULE_RETRY_POLICY },
    },
    invokePermission: {
      action: "lambda:InvokeFunction",
      principal: "events.amazonaws.com",
      sourceArn: n.ruleArn(rule.name),
    },
  }));
}

/** The dead-letter queue, which only the planned rules may write to. */
export function planDeadLetterQueue(n: Names, rulePlans: readonly RulePlan[]): DeadLetterQueuePlan {
  return {
    name: n.queue.name,
    arn: n.queue.arn,
    url: n.queue.url,
    messageRetentionSeconds: DEAD_LETTER_RETENTION_SECONDS,
    policy: JSON.stringify({
      Version: "2012-10-17",
      Statement: [
        {
          Effect: "Allow",
          Principal: { Service: "events.amazonaws.com" },
          Action: "sqs:SendMessage",
          Resource: n.queue.arn,
          Condition: { ArnEquals: { "aws:SourceArn": rulePlans.map((r) => r.arn) } },
        },
      ],
    }),
  };
}
