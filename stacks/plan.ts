import { type Config, type ConfigInput, parseConfig } from "../packages/core/src/config/index.ts";
import { ENV, type FunctionEnv } from "../packages/core/src/context.ts";
import type { ActionConfig } from "../packages/core/src/cost/config.ts";
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

/** A customer-managed policy attached to a role: statements the role's inline policy has no room for. */
export interface ManagedPolicyPlan {
  name: string;
  arn: string;
  statements: Statement[];
}

/** A file the function's bundle carries, at `path` from the bundle's root (LAMBDA_TASK_ROOT). */
export interface BundledFile {
  path: string;
  contents: string;
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
  /** The role's inline policy (SST's `permissions`). */
  permissions: Statement[];
  /** Attached to the role (SST's `policies`) when the inline policy cannot hold every statement. */
  managedPolicies: ManagedPolicyPlan[];
  files: BundledFile[];
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

export interface StateMachinePlan {
  name: string;
  stateMachineName: string;
  arn: string;
  type: "STANDARD";
  definition: StateMachineDefinition;
  role: { name: string; arn: string; permissions: Statement[]; managedPolicies: ManagedPolicyPlan[] };
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
  /**
   * Each configured secret's rotation (Secrets Manager's RotationRules and rotation function):
   * Switchyard's `rotate` function, or the secret's own for rotator "custom". Secrets Manager
   * invokes the function, so each needs a resource-based grant for secretsmanager.amazonaws.com.
   */
  secretRotations: {
    secret: string;
    secretId: string;
    rotationFunctionArn: string;
    scheduleExpression: string;
    /** Lets Secrets Manager invoke the rotation function for this secret only (ArnLike on the name's ARN). */
    invokePermission: {
      action: "lambda:InvokeFunction";
      principal: "secretsmanager.amazonaws.com";
      sourceArn: string;
    };
  }[];
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
/** IAM's limit for one managed policy, in characters not counting whitespace. */
const MANAGED_POLICY_LIMIT = 6_144;
/** IAM's quota of managed policies attached to one role: 10 unless raised through Service Quotas, 20 at most. */
const MANAGED_POLICIES_PER_ROLE = { default: 10, max: 20 };
/**
 * Room left in a function's inline policy for the statements SST adds to it (in `sst dev`:
 * appsync:* and its asset bucket, about 200 characters; SST 4.17 function.ts, createRole).
 */
const SST_INLINE_HEADROOM = 512;
/** SST attaches AWSLambdaBasicExecutionRole to every function's role (logging is on by default). */
const SST_MANAGED_POLICIES = 1;
/** Where each function's bundle carries the config, from LAMBDA_TASK_ROOT. */
const CONFIG_FILE = "switchyard.config.json";
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
  "secretsmanager:GetRandomPassword":
    "GetRandomPassword reads no secret and supports no resource-level permissions (Service Authorization " +
    "Reference, AWS Secrets Manager)",
  "ec2:DescribeInstances":
    "EC2 Describe actions support no resource-level permissions (Service Authorization Reference, Amazon EC2)",
  "ecs:ListServices":
    "ListServices supports no resource type, only the ecs:cluster condition key (Service Authorization Reference, Amazon ECS)",
  "cloudwatch:GetMetricStatistics":
    "CloudWatch metric reads support no resource-level permissions (Service Authorization Reference, Amazon CloudWatch)",
  "autoscaling:DescribeAutoScalingGroups":
    "Describe actions of EC2 Auto Scaling support no resource-level permissions (Service Authorization Reference, Amazon EC2 Auto Scaling)",
  "route53:GetHealthCheckStatus":
    "GetHealthCheckStatus supports no resource-level permissions (Service Authorization Reference, Amazon Route 53)",
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
 * config's, since every ARN is built from the config. `managedPoliciesPerRole` is the account's
 * IAM quota (10 unless raised). Throws a ConfigError for an invalid config and a StackPlanError,
 * listing every problem, for a config that AWS would refuse.
 */
export function planStack(
  input: ConfigInput,
  opts: { stage: string; target?: { account: string; region: string }; managedPoliciesPerRole?: number },
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
  const quota = opts.managedPoliciesPerRole ?? MANAGED_POLICIES_PER_ROLE.default;
  if (
    !Number.isInteger(quota) ||
    quota < MANAGED_POLICIES_PER_ROLE.default ||
    quota > MANAGED_POLICIES_PER_ROLE.max
  ) {
    throw new StackPlanError(where, [
      `managedPoliciesPerRole ${quota}: IAM's quota of managed policies per role is ${MANAGED_POLICIES_PER_ROLE.default} ` +
        `unless raised through Service Quotas, to ${MANAGED_POLICIES_PER_ROLE.max} at most; set ` +
        "SWITCHYARD_MANAGED_POLICIES_PER_ROLE (sst.config.ts) to the account's quota, or leave it unset for the default",
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
  const secretArnOf = (id: string) =>
    id.startsWith("arn:") ? id : arn("secretsmanager", `secret:${id}-??????`);
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
    costStateMachine: [arn("states", `stateMachine:${stateMachineName("cost-response")}`)],
    costExecutions: [arn("states", `execution:${stateMachineName("cost-response")}:*`)],
    costStepsFunction: [functionArn("cost-steps"), `${functionArn("cost-steps")}:*`],
    costCappedFunctions: unique(
      costActionsOf(config, "cap-lambda-concurrency").flatMap((a) => a.functions.map((f) => lambdaArn(f))),
    ),
    costScheduleRules: unique(
      costActionsOf(config, "disable-schedules").flatMap((a) =>
        a.rules.map((r) => arn("events", `rule/${r}`)),
      ),
    ),
    // Selected by tag at run time, so scoped to the kind of resource in this account and region;
    // the protected-tag guard is Switchyard's own (docs/decisions/0008-cost-responses.md).
    costEc2Instances:
      costActionsOf(config, "stop-ec2-instances").length > 0 ? [arn("ec2", "instance/*")] : [],
    costDbInstances: costActionsOf(config, "stop-rds-instances").length > 0 ? [arn("rds", "db:*")] : [],
    costEcsServices: unique(
      costActionsOf(config, "scale-ecs-services-to-zero").flatMap((a) =>
        a.clusters.map((c) => arn("ecs", `service/${c}/*`)),
      ),
    ),
    // Secrets Manager appends six random characters to a secret's name in its ARN.
    managedSecrets: unique(config.secrets.map((s) => s.secretId).map(secretArnOf)),
    rotationCredentials: unique(
      [
        ...config.secrets.flatMap((s) =>
          (["masterSecret", "tokenSecret"] as const).flatMap((key) =>
            key in s.options ? [String(s.options[key])] : [],
          ),
        ),
        ...(config.secretScanning ? [config.secretScanning.tokenSecret] : []),
      ].map(secretArnOf),
    ),
    rotateOnLeakStateMachine: [arn("states", `stateMachine:${stateMachineName("rotate-on-leak")}`)],
    rotateOnLeakExecutions: [arn("states", `execution:${stateMachineName("rotate-on-leak")}:*`)],
    secretLeakStepsFunction: [functionArn("secret-leak-steps"), `${functionArn("secret-leak-steps")}:*`],
    ...failoverResources(config, {
      partition,
      account,
      stateMachine: stateMachineName("failover"),
      arn,
      functionArn,
    }),
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

  /** The value of each variable a function's spec may list (`FunctionSpec.env`, declared in core's units). */
  const values: Record<FunctionEnv, string> = {
    [ENV.configFile]: CONFIG_FILE,
    [ENV.table]: tableName,
    [ENV.dlq]: queueUrl,
    [ENV.logLevel]: "INFO",
    [ENV.deployStateMachine]: deployStateMachineArn,
    [ENV.costStateMachine]: arn("states", `stateMachine:${stateMachineName("cost-response")}`),
    [ENV.rotateOnLeakStateMachine]: arn("states", `stateMachine:${stateMachineName("rotate-on-leak")}`),
    [ENV.failoverStateMachine]: arn("states", `stateMachine:${stateMachineName("failover")}`),
    [ENV.failbackStateMachine]: arn("states", `stateMachine:${stateMachineName("failback")}`),
    [ENV.webhookSecretId]: secretName,
    [ENV.bus]: DEFAULT_BUS,
  };
  const ruleTargets = new Set(rules.map((r) => r.target));
  const configFile: BundledFile = { path: CONFIG_FILE, contents: JSON.stringify(input) };
  const policyArn = (name: string) => `arn:${partition}:iam::${account}:policy/${name}`;
  /** The role's statements, inline as far as they fit and in managed policies named `${role}-1`... beyond. */
  const rolePolicies = (role: string, all: Statement[], inlineLimit: number) => {
    const { inline, managed } = splitStatements(all, inlineLimit);
    return {
      permissions: inline,
      managedPolicies: managed.map((statements, i) => ({
        name: `${role}-${i + 1}`,
        arn: policyArn(`${role}-${i + 1}`),
        statements,
      })),
    };
  };

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
    environment: Object.fromEntries(spec.env.map((name) => [name, values[name]])),
    ...rolePolicies(
      functionName(spec.name),
      statements(spec.permissions),
      ROLE_INLINE_POLICY_LIMIT - SST_INLINE_HEADROOM,
    ),
    files: spec.env.includes(ENV.configFile) ? [configFile] : [],
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
    ...(rule.schedule ? { scheduleExpression: rule.schedule } : {}),
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
      definition: sm.definition({
        deployStepsFunction: functionArn("deploy-steps"),
        costStepsFunction: functionArn("cost-steps"),
        secretLeakStepsFunction: functionArn("secret-leak-steps"),
        failoverStepsFunction: functionArn("failover-steps"),
      }),
      role: {
        name: `${stateMachineName(sm.name)}-states`,
        arn: `arn:${partition}:iam::${account}:role/${stateMachineName(sm.name)}-states`,
        ...rolePolicies(
          `${stateMachineName(sm.name)}-states`,
          [...statements(sm.permissions), ...STATE_MACHINE_OBSERVABILITY],
          ROLE_INLINE_POLICY_LIMIT,
        ),
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
    // A failed rotation leaves AWSPENDING behind and blocks the next one: someone must look.
    ...unique(
      config.secrets.map((s) => (s.rotationFunction ? lambdaArn(s.rotationFunction) : functionArn("rotate"))),
    ).map((rotationArn) => {
      const fn = rotationArn.split(":").at(-1) ?? rotationArn;
      return {
        name: `${prefix}-rotation-errors-${fn}`.slice(0, 255),
        description: `Rotation function ${fn} failed a step: run switchyard status to see the stuck secret`,
        namespace: "AWS/Lambda",
        metricName: "Errors",
        dimensions: { FunctionName: fn },
        statistic: "Sum" as const,
        periodSeconds: 300,
        evaluationPeriods: 1,
        threshold: 1,
        comparisonOperator: "GreaterThanOrEqualToThreshold" as const,
        treatMissingData: "notBreaching" as const,
        actions: alarmActions,
      };
    }),
  ];

  const plan: StackPlan = {
    app,
    stage,
    region,
    account,
    secretRotations: config.secrets.map((s) => ({
      secret: s.name,
      secretId: s.secretId,
      rotationFunctionArn: s.rotationFunction ? lambdaArn(s.rotationFunction) : functionArn("rotate"),
      scheduleExpression: s.schedule,
      invokePermission: {
        action: "lambda:InvokeFunction",
        principal: "secretsmanager.amazonaws.com",
        sourceArn: secretArnOf(s.secretId),
      },
    })),
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
    ...environmentProblems(plan),
    ...policyProblems(plan, quota),
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
function environmentProblems(plan: StackPlan): string[] {
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
  return [
    `environment of ${over.map((f) => f.name).join(", ")}: up to ${Math.max(...over.map((f) => f.bytes))} bytes, ` +
      `over Lambda's 4 KB (${LAMBDA_ENVIRONMENT_LIMIT}-byte) limit for a function's environment variables; ` +
      "a value that grows with the config belongs in a bundled file, as the config does (" +
      `${ENV.configFile}, docs/decisions/0004-stacks-from-core-data.md)`,
  ];
}

/**
 * Packs a role's statements into its inline policy (`inlineLimit` characters) and, for what does
 * not fit, into customer-managed policies of at most 6,144 characters each. Statements that fit
 * whole stay inline; a statement that does not is cut into statements with the same actions on
 * consecutive runs of its resources, filling the inline policy's remaining room first.
 */
function splitStatements(
  all: Statement[],
  inlineLimit: number,
): { inline: Statement[]; managed: Statement[][] } {
  if (policyDocument(all).length <= inlineLimit) return { inline: all, managed: [] };
  const empty = policyDocument([]).length;
  // Counting a comma for every statement and resource overestimates by at most one per policy.
  const size = (s: Statement) => policyDocument([s]).length - empty + 1;
  const inline: Statement[] = [];
  const bins = [{ statements: inline, used: empty, limit: inlineLimit }];
  const deferred: Statement[] = [];
  for (const statement of all) {
    const bin = bins[0] as (typeof bins)[number];
    if (bin.used + size(statement) <= bin.limit) {
      bin.statements.push(statement);
      bin.used += size(statement);
    } else deferred.push(statement);
  }
  for (const { actions, resources } of deferred) {
    const base = size({ actions, resources: [] });
    let rest = resources;
    while (rest.length > 0) {
      let bin = bins[bins.length - 1] as (typeof bins)[number];
      let taken = 0;
      let used = base;
      for (const arn of rest) {
        if (bin.used + used + JSON.stringify(arn).length + 1 > bin.limit) break;
        used += JSON.stringify(arn).length + 1;
        taken += 1;
      }
      if (taken === 0) {
        if (bin.statements.length === 0)
          throw new Error(
            `the resource ${rest[0]} does not fit in an IAM policy of ${MANAGED_POLICY_LIMIT} characters`,
          );
        bin = { statements: [], used: empty, limit: MANAGED_POLICY_LIMIT };
        bins.push(bin);
        continue;
      }
      bin.statements.push({ actions: [...actions], resources: rest.slice(0, taken) });
      bin.used += used;
      rest = rest.slice(taken);
    }
  }
  return { inline, managed: bins.slice(1).map((b) => b.statements) };
}

/**
 * The managed ARNs grow with the deployments; past what a role's inline and managed policies can
 * hold, IAM refuses the attachment. SST attaches one AWS managed policy to a function's role.
 */
function policyProblems(plan: StackPlan, quota: number): string[] {
  const roles = [
    ...plan.functions.map((f) => ({
      what: `the ${f.name} function's role`,
      managed: f.managedPolicies,
      attached: f.managedPolicies.length + SST_MANAGED_POLICIES,
    })),
    ...plan.stateMachines.map((sm) => ({
      what: `the ${sm.name} state machine's role`,
      managed: sm.role.managedPolicies,
      attached: sm.role.managedPolicies.length,
    })),
  ];
  return roles
    .filter((r) => r.attached > quota)
    .map(
      (r) =>
        `policies of ${r.what}: its grants need ${r.managed.length} customer-managed policies of up to ` +
        `${MANAGED_POLICY_LIMIT} characters besides the ${ROLE_INLINE_POLICY_LIMIT}-character inline policy, ` +
        `${r.attached} managed policies attached in all, over the account's quota of ${quota} managed policies per role ` +
        `(IAM "Managed policies per role": ${MANAGED_POLICIES_PER_ROLE.default} by default, up to ${MANAGED_POLICIES_PER_ROLE.max} ` +
        "through Service Quotas); raise the quota and deploy with SWITCHYARD_MANAGED_POLICIES_PER_ROLE set to it " +
        "(sst.config.ts passes it as managedPoliciesPerRole), move deployments to another " +
        'Switchyard stack (its own config "name" and SST stage), or grant by tag instead of by ARN ' +
        "(docs/decisions/0004-stacks-from-core-data.md)",
    );
}

/** The cost actions of one type that the config's rules name, in every tier. */
function costActionsOf<T extends ActionConfig["type"]>(
  config: Config,
  type: T,
): Extract<ActionConfig, { type: T }>[] {
  return config.cost.rules
    .flatMap((r) => r.tiers.flatMap((t) => t.actions))
    .filter((a): a is Extract<ActionConfig, { type: T }> => a.type === type);
}

/**
 * What the failover runbooks touch. Their resources live in the runbook's secondary region (the
 * state machine acts there), Route 53 is global; the state machine and its steps function are
 * the stack's own.
 */
function failoverResources(
  config: Config,
  at: {
    partition: string;
    account: string;
    stateMachine: string;
    arn: (service: string, resource: string) => string;
    functionArn: (name: FunctionName) => string;
  },
): Pick<Record<ResourceRef, string[]>, Extract<ResourceRef, `failover${string}`>> {
  const { partition, account } = at;
  const runbooks = config.failover.runbooks;
  const regional = (service: string, region: string, resource: string) =>
    `arn:${partition}:${service}:${region}:${account}:${resource}`;
  const unique = (values: string[]) => [...new Set(values)];
  const zone = (id: string) => `arn:${partition}:route53:::hostedzone/${id.replace(/^\/hostedzone\//, "")}`;
  return {
    // The failback state machine runs the same steps function: it is listed beside the failover one.
    failoverStateMachine: [
      at.arn("states", `stateMachine:${at.stateMachine}`),
      at.arn("states", `stateMachine:${at.stateMachine.replace(/failover$/, "failback")}`),
    ],
    failoverExecutions: [
      at.arn("states", `execution:${at.stateMachine}:*`),
      at.arn("states", `execution:${at.stateMachine.replace(/failover$/, "failback")}:*`),
    ],
    failoverStepsFunction: [at.functionArn("failover-steps"), `${at.functionArn("failover-steps")}:*`],
    failoverAlarms: unique(
      runbooks.flatMap((r) => r.triggers.alarms.map((a) => at.arn("cloudwatch", `alarm:${a}`))),
    ),
    failoverDatabases: unique(
      runbooks.flatMap((r) => [
        ...(r.database?.kind === "read-replica"
          ? [regional("rds", r.secondaryRegion, `db:${r.database.replica}`)]
          : []),
        // Switchover and failover are authorised on the global cluster and on both member clusters.
        ...(r.database?.kind === "aurora-global"
          ? [
              `arn:${partition}:rds::${account}:global-cluster:${r.database.globalClusterIdentifier}`,
              regional("rds", r.primaryRegion, `cluster:${r.database.primaryCluster}`),
              regional("rds", r.secondaryRegion, `cluster:${r.database.secondaryCluster}`),
            ]
          : []),
        ...(r.failback?.replica ? [regional("rds", r.primaryRegion, `db:${r.failback.replica}`)] : []),
      ]),
    ),
    failoverFunctions: unique(
      runbooks.flatMap((r) => {
        const fn = r.compute.lambda;
        if (!fn) return [];
        const base = fn.function.startsWith("arn:")
          ? fn.function
          : regional("lambda", r.secondaryRegion, `function:${fn.function}`);
        return [`${base}:${fn.alias}`];
      }),
    ),
    failoverServices: unique(
      runbooks.flatMap((r) =>
        r.compute.ecs
          ? [regional("ecs", r.secondaryRegion, `service/${r.compute.ecs.cluster}/${r.compute.ecs.service}`)]
          : [],
      ),
    ),
    failoverGroups: unique(
      runbooks.flatMap((r) =>
        r.compute.autoScaling
          ? [
              regional(
                "autoscaling",
                r.secondaryRegion,
                `autoScalingGroup:*:autoScalingGroupName/${r.compute.autoScaling.group}`,
              ),
            ]
          : [],
      ),
    ),
    failoverParameters: unique(
      runbooks.flatMap((r) =>
        r.configuration
          ? [regional("ssm", r.secondaryRegion, `parameter/${r.configuration.parameter.replace(/^\//, "")}`)]
          : [],
      ),
    ),
    failoverZones: unique(runbooks.flatMap((r) => (r.dns ? [zone(r.dns.hostedZoneId)] : []))),
    failoverChanges: runbooks.some((r) => r.dns) ? [`arn:${partition}:route53:::change/*`] : [],
    failoverHealthChecks: unique(
      runbooks.flatMap((r) =>
        r.verify.healthCheckId ? [`arn:${partition}:route53:::healthcheck/${r.verify.healthCheckId}`] : [],
      ),
    ),
  };
}
