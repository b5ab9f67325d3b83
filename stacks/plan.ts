import { type Config, type ConfigInput, parseConfig } from "../packages/core/src/config/index.ts";
import { stateTable } from "../packages/core/src/store/table.ts";
import {
  type FunctionName,
  functions,
  type Permission,
  type ResourceRef,
  rules,
  stateMachines,
} from "../packages/core/src/wiring.ts";
import type { StateMachineDefinition } from "../packages/core/src/workflows/asl.ts";
import { ENV } from "../packages/functions/src/runtime.ts";

/**
 * Everything the Switchyard stack creates, as plain data: core's wiring (functions, rules, state
 * machines, permissions) plus the config, with every name and ARN resolved. `stacks/switchyard.ts`
 * only turns this into resources, so the tests check the plan instead of a synthesized stack.
 */

/** An identity-policy statement in SST's `permissions` shape (always Allow). */
export interface Statement {
  actions: string[];
  resources: string[];
}

export interface FunctionPlan {
  /** The function's name in core's wiring. */
  name: FunctionName;
  functionName: string;
  arn: string;
  handler: string;
  description: string;
  runtime: "nodejs22.x";
  architecture: "arm64";
  memoryMB: number;
  timeoutSeconds: number;
  environment: Record<string, string>;
  permissions: Statement[];
  url?: { authorization: "none"; why: string };
  /** For functions that EventBridge invokes asynchronously: where an event goes once Lambda's retries are spent. */
  asyncFailure?: { retries: number; destinationArn: string };
}

export interface RulePlan {
  name: string;
  arn: string;
  description: string;
  eventBusName: string;
  /** The event pattern as EventBridge takes it: JSON text. */
  pattern: string;
  target: {
    function: FunctionName;
    arn: string;
    deadLetterArn: string;
    retryPolicy: { maximumRetryAttempts: number; maximumEventAgeInSeconds: number };
  };
  /** The resource-based grant that lets this rule, and only it, invoke the target. */
  invokePermission: { action: "lambda:InvokeFunction"; principal: "events.amazonaws.com"; sourceArn: string };
}

export interface StateMachinePlan {
  name: string;
  stateMachineName: string;
  arn: string;
  type: "STANDARD";
  definition: StateMachineDefinition;
  role: { name: string; arn: string; permissions: Statement[] };
  logGroup: { name: string; arn: string; retentionInDays: number };
  logging: { level: "ALL"; includeExecutionData: true };
  tracing: true;
}

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

export interface StackPlan {
  app: string;
  stage: string;
  region: string;
  account: string;
  table: {
    name: string;
    arn: string;
    partitionKey: { name: string; type: "S" };
    sortKey: { name: string; type: "S" };
    ttlAttribute: string;
    billingMode: "PAY_PER_REQUEST";
    pointInTimeRecovery: true;
    deletionProtection: boolean;
  };
  deadLetterQueue: {
    name: string;
    arn: string;
    url: string;
    messageRetentionSeconds: number;
    /** Queue policy (JSON) letting the rules, and only them, dead-letter into the queue. */
    policy: string;
  };
  webhookSecret: { name: string; arnPattern: string; description: string; recoveryWindowInDays: number };
  notificationTopicArn: string | undefined;
  functions: FunctionPlan[];
  rules: RulePlan[];
  stateMachines: StateMachinePlan[];
  alarms: AlarmPlan[];
  /** Each symbolic resource of core's wiring and the ARNs it stands for. */
  resources: Record<ResourceRef, string[]>;
  /** Actions granted on Resource "*", each with the AWS-documented reason it cannot be scoped. */
  unscopedActions: Record<string, string>;
  /** Bundling of every function (SST's `nodejs` options). */
  bundle: { format: "esm"; minify: true; target: "node22" };
}

/**
 * A stack that AWS would refuse; `problems` holds one "what: why; fix" line each, and `plan` the
 * refused plan when one could be drawn up (to see what outgrew a limit).
 */
export class StackPlanError extends Error {
  readonly problems: string[];
  readonly plan: StackPlan | undefined;

  constructor(where: string, problems: string[], plan?: StackPlan) {
    super(`cannot plan ${where}:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
    this.name = "StackPlanError";
    this.problems = problems;
    this.plan = plan;
  }
}

/** SST's app name, as `app().name` in sst.config.ts; SST writes it into every function's environment. */
const SST_APP = "switchyard";
/** Stages whose data outlives `sst remove` (sst.config.ts retains their resources). */
const RETAINED_STAGES = new Set(["production"]);

/** Lambda measures a function's environment as JSON text and refuses more than 4 KB of it. */
const LAMBDA_ENVIRONMENT_LIMIT = 4096;
/** IAM's limit for the inline policies of one role, in characters not counting whitespace. */
const ROLE_INLINE_POLICY_LIMIT = 10_240;
/** An SQS queue keeps messages at most 14 days: the longest time an operator has to redrive. */
const DEAD_LETTER_RETENTION_SECONDS = 14 * 86_400;
/**
 * Retry delivery as often as EventBridge allows, but for an hour at most: an event still
 * undelivered by then lands in the dead-letter queue, whose alarm tells a human within the
 * hour instead of after EventBridge's default 24 hours.
 */
const RULE_RETRY_POLICY = { maximumRetryAttempts: 185, maximumEventAgeInSeconds: 3600 };
/** Lambda's asynchronous retries (its default, made explicit) before the event goes to the DLQ. */
const ASYNC_RETRIES = 2;
const DEFAULT_BUS = "default";

/**
 * Actions that must be granted on "*", and why. Statements never mix these with scoped
 * actions, and the tests refuse "*" for any action not listed here.
 */
const UNSCOPED: Record<string, string> = {
  "cloudwatch:DescribeAlarms":
    "guarding alarms may be composite alarms, and DescribeAlarms returns composite alarms only to a " +
    'caller whose permission is scoped to "*" (CloudWatch API Reference, DescribeAlarms)',
  ...Object.fromEntries(
    [
      "logs:CreateLogDelivery",
      "logs:GetLogDelivery",
      "logs:UpdateLogDelivery",
      "logs:DeleteLogDelivery",
      "logs:ListLogDeliveries",
      "logs:PutResourcePolicy",
      "logs:DescribeResourcePolicies",
      "logs:DescribeLogGroups",
    ].map((action) => [
      action,
      'CloudWatch Logs log delivery does not support resource-level permissions; Step Functions documents Resource "*" ' +
        "for logging a state machine to CloudWatch Logs (Step Functions Developer Guide, IAM policies for logging)",
    ]),
  ),
  ...Object.fromEntries(
    [
      "xray:PutTraceSegments",
      "xray:PutTelemetryRecords",
      "xray:GetSamplingRules",
      "xray:GetSamplingTargets",
    ].map((action) => [
      action,
      "X-Ray trace and sampling actions do not support resource-level permissions (Service Authorization " +
        "Reference, AWS X-Ray; Step Functions Developer Guide, IAM policies for X-Ray tracing)",
    ]),
  ),
};

/** What a state machine's role needs to log ALL to CloudWatch Logs and to trace with X-Ray. */
const STATE_MACHINE_OBSERVABILITY: Statement[] = [
  { actions: Object.keys(UNSCOPED).filter((a) => a.startsWith("logs:")), resources: ["*"] },
  { actions: Object.keys(UNSCOPED).filter((a) => a.startsWith("xray:")), resources: ["*"] },
];

/** The environment variables the GitHub receiver reads (`SettingsEnv` in core's github/receiver.ts). */
const WEBHOOK_SECRET_ID = "SWITCHYARD_WEBHOOK_SECRET_ID";
const WEBHOOK_BUS = "SWITCHYARD_BUS";

/** Read by core's one logger (observability/logger.ts) in every function; ahead of POWERTOOLS_LOG_LEVEL. */
const LOG_LEVEL = "SWITCHYARD_LOG_LEVEL";

type Variable =
  | (typeof ENV)[keyof typeof ENV]
  | typeof WEBHOOK_SECRET_ID
  | typeof WEBHOOK_BUS
  | typeof LOG_LEVEL;

/** Which variables each function's code reads: the runtime context, or the webhook receiver's settings. */
const READS: Record<FunctionName, readonly Variable[]> = {
  "deploy-trigger": [ENV.config, ENV.table, ENV.deployStateMachine, ENV.dlq, LOG_LEVEL],
  "scan-result": [ENV.config, ENV.table, ENV.deployStateMachine, ENV.dlq, LOG_LEVEL],
  rollback: [ENV.config, ENV.table, ENV.deployStateMachine, ENV.dlq, LOG_LEVEL],
  "deploy-steps": [ENV.config, ENV.table, ENV.deployStateMachine, ENV.dlq, LOG_LEVEL],
  "github-webhook": [WEBHOOK_SECRET_ID, stateTable.envVar, WEBHOOK_BUS, LOG_LEVEL],
};

const WEBHOOK_URL_WHY =
  "GitHub cannot sign requests with AWS SigV4, so the URL is public; the function verifies GitHub's " +
  "X-Hub-Signature-256 HMAC against the webhook secret before it reads or forwards anything";

/** Partitions by region, for ARNs and the SQS endpoint; any other region is in `aws`. */
const PARTITIONS: { match: RegExp; partition: string; dnsSuffix: string }[] = [
  { match: /^cn-/, partition: "aws-cn", dnsSuffix: "amazonaws.com.cn" },
  { match: /-gov-/, partition: "aws-us-gov", dnsSuffix: "amazonaws.com" },
  { match: /-isob-/, partition: "aws-iso-b", dnsSuffix: "sc2s.sgov.gov" },
  { match: /-iso-/, partition: "aws-iso", dnsSuffix: "c2s.ic.gov" },
];

const STAGE = /^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$/;

/** The IAM policy document AWS receives for `statements`, minified as IAM counts its size. */
export function policyDocument(statements: readonly Statement[]): string {
  return JSON.stringify({
    Version: "2012-10-17",
    Statement: statements.map((s) => ({ Effect: "Allow", Action: s.actions, Resource: s.resources })),
  });
}

/**
 * Plans the Switchyard stack for `config` (what `switchyard.config.ts` exports) in `stage`.
 * When `target` (the account and region the credentials deploy to) is given, it must match the
 * config's, since every ARN is built from the config. Throws a ConfigError for an invalid config
 * and a StackPlanError, listing every problem, for a config that AWS would refuse.
 */
export function planStack(
  input: ConfigInput,
  opts: { stage: string; target?: { account: string; region: string } },
): StackPlan {
  const config: Config = parseConfig(input, "switchyard.config.ts");
  const { stage } = opts;
  const app = config.name;
  const where = `stage "${stage}" of "${app}"`;
  if (!STAGE.test(stage)) {
    throw new StackPlanError(where, [
      `stage "${stage}": must be lower-case letters, digits and "-", starting and ending with a letter or digit ` +
        '(it becomes part of every resource name), e.g. "dev" or "production"',
    ]);
  }
  const { region, account } = config;
  const { partition, dnsSuffix } = PARTITIONS.find((p) => p.match.test(region)) ?? {
    partition: "aws",
    dnsSuffix: "amazonaws.com",
  };
  const arn = (service: string, resource: string) =>
    `arn:${partition}:${service}:${region}:${account}:${resource}`;
  const lambdaArn = (nameOrArn: string) =>
    nameOrArn.startsWith("arn:") ? nameOrArn : arn("lambda", `function:${nameOrArn}`);
  const prefix = `${app}-${stage}`;
  const retained = RETAINED_STAGES.has(stage);

  const tableName = `${prefix}-state`;
  const tableArn = arn("dynamodb", `table/${tableName}`);
  const queueName = `${prefix}-dead-letters`;
  const queueArn = arn("sqs", queueName);
  const queueUrl = `https://sqs.${region}.${dnsSuffix}/${account}/${queueName}`;
  const secretName = `${app}/${stage}/github-webhook-secret`;
  // Secrets Manager appends six random characters to a secret's name in its ARN.
  const secretArnPattern = arn("secretsmanager", `secret:${secretName}-??????`);
  const functionName = (name: FunctionName) => `${prefix}-${name}`;
  const functionArn = (name: FunctionName) => arn("lambda", `function:${functionName(name)}`);
  const stateMachineName = (name: string) => `${prefix}-${name}`;
  const deployStateMachineArn = arn("states", `stateMachine:${stateMachineName("deploy")}`);
  const ruleName = (name: string) => `${prefix}-${name}`;
  const ruleArn = (name: string) => arn("events", `rule/${ruleName(name)}`);
  const topicArn = config.notifications.topicArn;

  const unique = (values: string[]) => [...new Set(values)];
  const resources: Record<ResourceRef, string[]> = {
    stateTable: [tableArn, `${tableArn}/index/*`],
    deployStateMachine: [deployStateMachineArn],
    deployExecutions: [arn("states", `execution:${stateMachineName("deploy")}:*`)],
    managedFunctions: unique(
      config.deployments.flatMap((d) => [lambdaArn(d.function), `${lambdaArn(d.function)}:*`]),
    ),
    managedAlarms: unique(
      config.deployments.flatMap((d) => d.alarms.map((alarm) => arn("cloudwatch", `alarm:${alarm}`))),
    ),
    deadLetterQueue: [queueArn],
    notificationTopic: topicArn ? [topicArn] : [],
    eventBus: [arn("events", `event-bus/${DEFAULT_BUS}`)],
    webhookSecret: [secretArnPattern],
    deployStepsFunction: [functionArn("deploy-steps"), `${functionArn("deploy-steps")}:*`],
    imageRepositories: unique(
      config.deployments.flatMap((d) => (d.image ? [arn("ecr", `repository/${d.image.repository}`)] : [])),
    ),
  };

  /** Scoped actions on the resolved ARNs, unscoped ones apart on "*"; a grant on nothing is left out. */
  const statements = (permissions: readonly Permission[]): Statement[] =>
    permissions.flatMap((p) => {
      const scoped = p.actions.filter((a) => !(a in UNSCOPED));
      const unscoped = p.actions.filter((a) => a in UNSCOPED);
      const arns = unique(p.resources.flatMap((ref) => resources[ref]));
      return [
        ...(scoped.length > 0 && arns.length > 0 ? [{ actions: [...scoped], resources: arns }] : []),
        ...(unscoped.length > 0 ? [{ actions: [...unscoped], resources: ["*"] }] : []),
      ];
    });

  const values: Record<Variable, string> = {
    [ENV.config]: JSON.stringify(input),
    [ENV.table]: tableName,
    [ENV.deployStateMachine]: deployStateMachineArn,
    [ENV.dlq]: queueUrl,
    [WEBHOOK_SECRET_ID]: secretName,
    [WEBHOOK_BUS]: DEFAULT_BUS,
    [LOG_LEVEL]: "INFO",
  };
  const ruleTargets = new Set(rules.map((r) => r.target));

  const functionPlans: FunctionPlan[] = functions.map((spec) => ({
    name: spec.name,
    functionName: functionName(spec.name),
    arn: functionArn(spec.name),
    handler: spec.handler,
    description: spec.description,
    runtime: "nodejs22.x",
    architecture: "arm64",
    memoryMB: spec.memoryMB,
    timeoutSeconds: spec.timeoutSeconds,
    environment: Object.fromEntries(READS[spec.name].map((name) => [name, values[name]])),
    permissions: statements(spec.permissions),
    ...(spec.url ? { url: { authorization: "none" as const, why: WEBHOOK_URL_WHY } } : {}),
    ...(ruleTargets.has(spec.name)
      ? { asyncFailure: { retries: ASYNC_RETRIES, destinationArn: queueArn } }
      : {}),
  }));

  const rulePlans: RulePlan[] = rules.map((rule) => ({
    name: ruleName(rule.name),
    arn: ruleArn(rule.name),
    description: rule.description,
    eventBusName: DEFAULT_BUS,
    pattern: JSON.stringify(rule.pattern),
    target: {
      function: rule.target,
      arn: functionArn(rule.target),
      deadLetterArn: queueArn,
      retryPolicy: { ...RULE_RETRY_POLICY },
    },
    invokePermission: {
      action: "lambda:InvokeFunction",
      principal: "events.amazonaws.com",
      sourceArn: ruleArn(rule.name),
    },
  }));

  const stateMachinePlans: StateMachinePlan[] = stateMachines.map((sm) => {
    const logGroupName = `/aws/vendedlogs/states/${stateMachineName(sm.name)}`;
    return {
      name: sm.name,
      stateMachineName: stateMachineName(sm.name),
      arn: arn("states", `stateMachine:${stateMachineName(sm.name)}`),
      type: "STANDARD",
      definition: sm.definition({ deployStepsFunction: functionArn("deploy-steps") }),
      role: {
        name: `${stateMachineName(sm.name)}-states`,
        arn: `arn:${partition}:iam::${account}:role/${stateMachineName(sm.name)}-states`,
        permissions: [...statements(sm.permissions), ...STATE_MACHINE_OBSERVABILITY],
      },
      logGroup: { name: logGroupName, arn: arn("logs", `log-group:${logGroupName}`), retentionInDays: 30 },
      // Execution data (inputs and outputs) is logged: deploy inputs name functions, images and
      // alarms, never secrets, and the data is what an operator needs to replay an execution.
      logging: { level: "ALL", includeExecutionData: true },
      tracing: true,
    };
  });

  const alarmActions = topicArn ? [topicArn] : [];
  const alarms: AlarmPlan[] = [
    {
      name: `${prefix}-dead-letters-waiting`,
      description: `Events wait in ${queueName}: rejected, undeliverable or failed reactions to read and redrive`,
      namespace: "AWS/SQS",
      metricName: "ApproximateNumberOfMessagesVisible",
      dimensions: { QueueName: queueName },
      statistic: "Maximum",
      periodSeconds: 60,
      evaluationPeriods: 1,
      threshold: 1,
      comparisonOperator: "GreaterThanOrEqualToThreshold",
      treatMissingData: "notBreaching",
      actions: alarmActions,
    },
    {
      name: `${prefix}-deploy-steps-errors`,
      description: `${functionName("deploy-steps")} failed: look at the deploy executions that called it`,
      namespace: "AWS/Lambda",
      metricName: "Errors",
      dimensions: { FunctionName: functionName("deploy-steps") },
      statistic: "Sum",
      periodSeconds: 300,
      evaluationPeriods: 1,
      threshold: 1,
      comparisonOperator: "GreaterThanOrEqualToThreshold",
      treatMissingData: "notBreaching",
      actions: alarmActions,
    },
  ];

  const plan: StackPlan = {
    app,
    stage,
    region,
    account,
    table: {
      name: tableName,
      arn: tableArn,
      partitionKey: { name: stateTable.partitionKey, type: "S" },
      sortKey: { name: stateTable.sortKey, type: "S" },
      ttlAttribute: stateTable.ttlAttribute,
      billingMode: "PAY_PER_REQUEST",
      pointInTimeRecovery: true,
      deletionProtection: retained,
    },
    deadLetterQueue: {
      name: queueName,
      arn: queueArn,
      url: queueUrl,
      messageRetentionSeconds: DEAD_LETTER_RETENTION_SECONDS,
      policy: JSON.stringify({
        Version: "2012-10-17",
        Statement: [
          {
            Effect: "Allow",
            Principal: { Service: "events.amazonaws.com" },
            Action: "sqs:SendMessage",
            Resource: queueArn,
            Condition: { ArnEquals: { "aws:SourceArn": rulePlans.map((r) => r.arn) } },
          },
        ],
      }),
    },
    webhookSecret: {
      name: secretName,
      arnPattern: secretArnPattern,
      description:
        "GitHub webhook secret (a plain SecretString): set its value, then give GitHub the same value in the webhook's settings",
      // Outside retained stages, `sst remove` then deploy must be able to reuse the name at once.
      recoveryWindowInDays: retained ? 30 : 0,
    },
    notificationTopicArn: topicArn,
    functions: functionPlans,
    rules: rulePlans,
    stateMachines: stateMachinePlans,
    alarms,
    resources,
    unscopedActions: { ...UNSCOPED },
    bundle: { format: "esm", minify: true, target: "node22" },
  };

  const problems = [
    ...targetProblems(config, opts.target),
    ...nameProblems(plan),
    ...environmentProblems(plan, config.deployments.length),
    ...policyProblems(plan),
  ];
  if (problems.length > 0) throw new StackPlanError(where, problems, plan);
  return plan;
}

function targetProblems(config: Config, target: { account: string; region: string } | undefined): string[] {
  if (!target) return [];
  const fields = [
    {
      field: "account",
      planned: config.account,
      actual: target.account,
      what: "the AWS credentials are for account",
    },
    { field: "region", planned: config.region, actual: target.region, what: "SST deploys to region" },
  ];
  return fields
    .filter((f) => f.planned !== f.actual)
    .map(
      (f) =>
        `${f.field}: the config says "${f.planned}" but ${f.what} "${f.actual}"; every ARN is built from the config, ` +
        `so set "${f.field}": "${f.actual}" in switchyard.config.ts or deploy with credentials for "${f.planned}"`,
    );
}

/** AWS's name limits, for the names that grow with the app and stage names. */
function nameProblems(plan: StackPlan): string[] {
  const names: { what: string; name: string; max: number }[] = [
    ...plan.functions.map((f) => ({ what: "Lambda function name", name: f.functionName, max: 64 })),
    ...plan.rules.map((r) => ({ what: "EventBridge rule name", name: r.name, max: 64 })),
    ...plan.stateMachines.flatMap((sm) => [
      { what: "state machine name", name: sm.stateMachineName, max: 80 },
      { what: "IAM role name", name: sm.role.name, max: 64 },
    ]),
    { what: "SQS queue name", name: plan.deadLetterQueue.name, max: 80 },
    { what: "DynamoDB table name", name: plan.table.name, max: 255 },
    ...plan.alarms.map((a) => ({ what: "CloudWatch alarm name", name: a.name, max: 255 })),
  ];
  return names
    .filter((n) => n.name.length > n.max)
    .map(
      (n) =>
        `${n.what} "${n.name}" is ${n.name.length} characters, over AWS's ${n.max}; ` +
        `shorten the stage or the config's "name" by ${n.name.length - n.max}`,
    );
}

/** Size the environment as Lambda does, with the variables SST adds (SST_RESOURCE_App, SST_KEY, SST_KEY_FILE). */
function environmentProblems(plan: StackPlan, deployments: number): string[] {
  const sstVariables = {
    SST_RESOURCE_App: JSON.stringify({ name: SST_APP, stage: plan.stage }),
    SST_KEY: "k".repeat(44),
    SST_KEY_FILE: "resource.enc",
  };
  const over = plan.functions
    .map((f) => ({
      name: f.name,
      bytes: Buffer.byteLength(JSON.stringify({ ...f.environment, ...sstVariables })),
    }))
    .filter((f) => f.bytes > LAMBDA_ENVIRONMENT_LIMIT);
  if (over.length === 0) return [];
  const configBytes = Buffer.byteLength(
    plan.functions.find((f) => ENV.config in f.environment)?.environment[ENV.config] ?? "",
  );
  return [
    `environment of ${over.map((f) => f.name).join(", ")}: up to ${Math.max(...over.map((f) => f.bytes))} bytes, ` +
      `over Lambda's 4 KB (${LAMBDA_ENVIRONMENT_LIMIT}-byte) limit for a function's environment variables; ` +
      `${ENV.config} carries the whole config (${configBytes} bytes as JSON for ${deployments} deployments): ` +
      "leave out settings that repeat the defaults, or move deployments to another Switchyard stack (its own " +
      'config "name" and SST stage); lifting the limit needs the functions to read the config from their bundle ' +
      "instead of the environment (docs/decisions/0004-stacks-from-core-data.md)",
  ];
}

/** IAM refuses a role whose inline policies exceed its size limit; the managed ARNs grow with the deployments. */
function policyProblems(plan: StackPlan): string[] {
  const roles = [
    ...plan.functions.map((f) => ({ what: `the ${f.name} function's role`, statements: f.permissions })),
    ...plan.stateMachines.map((sm) => ({
      what: `the ${sm.name} state machine's role`,
      statements: sm.role.permissions,
    })),
  ];
  return roles
    .map((r) => ({ ...r, size: policyDocument(r.statements).length }))
    .filter((r) => r.size > ROLE_INLINE_POLICY_LIMIT)
    .map(
      (r) =>
        `policy of ${r.what}: ${r.size} characters, over IAM's ${ROLE_INLINE_POLICY_LIMIT}-character limit for a ` +
        "role's inline policies, because it names every managed function and image repository; move deployments " +
        'to another Switchyard stack (its own config "name" and SST stage)',
    );
}
