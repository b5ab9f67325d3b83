import { ACTION_UNITS } from "./cost/actions.ts";
import type { EventPattern } from "./events/pattern.ts";
import type { StateMachineDefinition } from "./workflows/asl.ts";
import { costResponseDefinition } from "./workflows/cost-response.ts";
import { deployDefinition } from "./workflows/deploy.ts";
import { failbackDefinition } from "./workflows/failback.ts";
import { failoverDefinition } from "./workflows/failover.ts";
import { rotateOnLeakDefinition } from "./workflows/rotate-on-leak.ts";

/**
 * Switchyard's wiring as data: its functions and what each may do, the bus rules that route
 * events to them, and the state machines. `stacks/` turns this into resources; the local
 * control plane and the tests run the very same data. Nothing may exist only in `stacks/`.
 */

/** Symbolic resources a permission is scoped to; `stacks/` resolves them to ARNs. */
export type ResourceRef =
  | "stateTable"
  | "deployStateMachine"
  | "deployExecutions"
  | "managedFunctions"
  | "managedAlarms"
  | "deadLetterQueue"
  | "notificationTopic"
  | "eventBus"
  | "webhookSecret"
  | "deployStepsFunction"
  | "imageRepositories"
  | "costStateMachine"
  | "costExecutions"
  | "costStepsFunction"
  /** Functions the cost config's cap-lambda-concurrency actions name. */
  | "costCappedFunctions"
  /** EventBridge rules the cost config's disable-schedules actions name. */
  | "costScheduleRules"
  /** EC2 instances of the account and region, when a stop-ec2-instances action selects some by tag. */
  | "costEc2Instances"
  /** RDS DB instances of the account and region, when a stop-rds-instances action selects some by tag. */
  | "costDbInstances"
  /** The services of the clusters the cost config's scale-ecs-services-to-zero actions name. */
  | "costEcsServices"
  /** The secrets in the config's secrets[]: the ones rotated. */
  | "managedSecrets"
  /** Secrets rotation only reads: the master and GitHub token secrets that secrets[] and secretScanning name. */
  | "rotationCredentials"
  | "rotateOnLeakStateMachine"
  | "rotateOnLeakExecutions"
  | "secretLeakStepsFunction"
  /** Failover runbooks: the state machine, its executions and steps function, and what the runbooks name. */
  | "failoverStateMachine"
  | "failoverExecutions"
  | "failoverStepsFunction"
  | "failoverAlarms"
  | "failoverDatabases"
  | "failoverFunctions"
  | "failoverServices"
  | "failoverGroups"
  | "failoverParameters"
  | "failoverZones"
  | "failoverChanges"
  | "failoverHealthChecks";

export interface Permission {
  /** IAM actions, service:Action; never a wildcard. */
  readonly actions: readonly string[];
  readonly resources: readonly ResourceRef[];
  /**
   * Actions AWS checks on the caller's behalf for another action but that the code never
   * sends itself (Lambda's UpdateFunctionCode pulls the image with the caller's ECR rights).
   * Kept apart so the test that compares sent calls with granted actions stays exact.
   */
  readonly implied?: true;
}

export type FunctionName =
  | "deploy-trigger"
  | "scan-result"
  | "rollback"
  | "deploy-steps"
  | "deploy-watch"
  | "github-webhook"
  | "cost-intake"
  | "cost-steps"
  | "rotate"
  | "secret-leak"
  | "secret-leak-steps"
  | "secrets-stuck"
  | "failover-trigger"
  | "failover-steps";

export interface FunctionSpec {
  readonly name: FunctionName;
  /** Path of the handler module from the repo root, SST style (`file.export`). */
  readonly handler: string;
  readonly description: string;
  readonly permissions: readonly Permission[];
  readonly timeoutSeconds: number;
  readonly memoryMB: number;
  /** Exposed through a function URL (the GitHub webhook receiver). */
  readonly url?: true;
}

export interface RuleSpec {
  readonly name: string;
  readonly description: string;
  readonly pattern: EventPattern;
  readonly target: FunctionName;
  /**
   * A scheduled rule (`rate(...)`/`cron(...)`): the stack gives EventBridge this
   * ScheduleExpression instead of the pattern, and the target receives a Scheduled Event;
   * `pattern` then matches that Scheduled Event, so a local bus routes a delivered one.
   */
  readonly schedule?: string;
}

export interface StateMachineSpec {
  readonly name: "deploy" | "cost-response" | "rotate-on-leak" | "failover" | "failback";
  readonly description: string;
  readonly definition: (arns: {
    deployStepsFunction: string;
    costStepsFunction: string;
    secretLeakStepsFunction: string;
    failoverStepsFunction: string;
  }) => StateMachineDefinition;
  readonly permissions: readonly Permission[];
}

const table = (...actions: string[]): Permission => ({
  actions: actions.map((a) => `dynamodb:${a}`),
  resources: ["stateTable"],
});
const deadLetter: Permission = { actions: ["sqs:SendMessage"], resources: ["deadLetterQueue"] };
const notifications: Permission = { actions: ["sns:Publish"], resources: ["notificationTopic"] };

/** What the cost action units send, from their own declarations (cost/actions.ts). */
const costActions: readonly Permission[] = Object.values(ACTION_UNITS).flatMap((unit) => unit.permissions);

export const functions: readonly FunctionSpec[] = [
  {
    name: "deploy-trigger",
    handler: "packages/functions/src/deploy-trigger.handler",
    description:
      "ECR push of a watched repository:tag, GitHub release or deployment → start deploy executions",
    timeoutSeconds: 30,
    memoryMB: 256,
    permissions: [
      { actions: ["lambda:GetAlias"], resources: ["managedFunctions"] },
      { actions: ["states:StartExecution"], resources: ["deployStateMachine"] },
      { actions: ["states:DescribeExecution"], resources: ["deployExecutions"] },
      { actions: ["ecr:DescribeImages"], resources: ["imageRepositories"] },
      table("GetItem", "PutItem", "UpdateItem"),
      deadLetter,
    ],
  },
  {
    name: "scan-result",
    handler: "packages/functions/src/scan-result.handler",
    description: "ECR or Inspector scan finished → answer deployments waiting at the scan gate",
    timeoutSeconds: 30,
    memoryMB: 256,
    permissions: [
      { actions: ["states:SendTaskSuccess"], resources: ["deployStateMachine"] },
      table("PutItem", "Query"),
      deadLetter,
    ],
  },
  {
    name: "rollback",
    handler: "packages/functions/src/rollback.handler",
    description: "Guarding alarm → ALARM: alias back to the stable version, deploy execution stopped",
    timeoutSeconds: 30,
    memoryMB: 512,
    permissions: [
      { actions: ["cloudwatch:DescribeAlarms"], resources: ["managedAlarms"] },
      { actions: ["lambda:GetAlias", "lambda:UpdateAlias"], resources: ["managedFunctions"] },
      { actions: ["states:StopExecution"], resources: ["deployExecutions"] },
      table("GetItem", "PutItem", "UpdateItem"),
      notifications,
      deadLetter,
    ],
  },
  {
    name: "deploy-steps",
    handler: "packages/functions/src/deploy-steps.handler",
    description: "The deploy state machine's steps: gate, publish, check alarms, shift, finish, roll back",
    timeoutSeconds: 60,
    memoryMB: 512,
    permissions: [
      {
        actions: [
          "lambda:GetAlias",
          "lambda:GetFunction",
          "lambda:UpdateFunctionCode",
          "lambda:PublishVersion",
          "lambda:UpdateAlias",
        ],
        resources: ["managedFunctions"],
      },
      {
        actions: ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"],
        resources: ["imageRepositories"],
        implied: true,
      },
      { actions: ["cloudwatch:DescribeAlarms"], resources: ["managedAlarms"] },
      { actions: ["states:SendTaskSuccess"], resources: ["deployStateMachine"] },
      table("GetItem", "PutItem", "UpdateItem"),
      notifications,
    ],
  },
  {
    name: "deploy-watch",
    handler: "packages/functions/src/deploy-watch.handler",
    description:
      "A deploy execution failed or timed out at a step → tell a human where it stopped and how to go on",
    timeoutSeconds: 30,
    memoryMB: 256,
    permissions: [
      { actions: ["lambda:GetAlias"], resources: ["managedFunctions"] },
      table("GetItem", "PutItem"),
      notifications,
      deadLetter,
    ],
  },
  {
    name: "github-webhook",
    handler: "packages/functions/src/github-webhook.handler",
    description: "GitHub webhook receiver (function URL): verify, deduplicate, put on the bus",
    timeoutSeconds: 10,
    memoryMB: 256,
    url: true,
    permissions: [
      { actions: ["secretsmanager:GetSecretValue"], resources: ["webhookSecret"] },
      { actions: ["events:PutEvents"], resources: ["eventBus"] },
      table("GetItem", "PutItem", "UpdateItem", "DeleteItem"),
    ],
  },
  {
    name: "cost-intake",
    handler: "packages/functions/src/cost-intake.handler",
    description:
      "Cost Anomaly Detection alert (EventBridge aws.ce, or the SNS subscription) → judge it, start or signal its one response",
    timeoutSeconds: 30,
    memoryMB: 256,
    permissions: [
      { actions: ["states:StartExecution"], resources: ["costStateMachine"] },
      { actions: ["states:SendTaskSuccess"], resources: ["costStateMachine"] },
      table("GetItem", "PutItem", "UpdateItem"),
      deadLetter,
    ],
  },
  {
    name: "cost-steps",
    handler: "packages/functions/src/cost-steps.handler",
    description: "The cost-response state machine's steps: plan, ask approval, apply, watch, revert",
    timeoutSeconds: 60,
    memoryMB: 256,
    permissions: [
      ...costActions,
      { actions: ["states:SendTaskSuccess"], resources: ["costStateMachine"] },
      table("GetItem", "PutItem", "UpdateItem"),
      notifications,
    ],
  },
  {
    name: "rotate",
    handler: "packages/functions/src/rotate.handler",
    description:
      "Secrets Manager rotation function: createSecret, setSecret, testSecret, finishSecret by rotator",
    timeoutSeconds: 60,
    memoryMB: 256,
    permissions: [
      {
        actions: [
          "secretsmanager:DescribeSecret",
          "secretsmanager:GetSecretValue",
          "secretsmanager:PutSecretValue",
          "secretsmanager:UpdateSecretVersionStage",
          "secretsmanager:GetRandomPassword",
        ],
        resources: ["managedSecrets"],
      },
      { actions: ["secretsmanager:GetSecretValue"], resources: ["rotationCredentials"] },
    ],
  },
  {
    name: "secret-leak",
    handler: "packages/functions/src/secret-leak.handler",
    description: "GitHub secret scanning alert → rotate-on-leak execution for the managed secret it concerns",
    timeoutSeconds: 30,
    memoryMB: 256,
    permissions: [
      { actions: ["states:StartExecution"], resources: ["rotateOnLeakStateMachine"] },
      { actions: ["states:DescribeExecution"], resources: ["rotateOnLeakExecutions"] },
      table("GetItem", "PutItem"),
      notifications,
      deadLetter,
    ],
  },
  {
    name: "secrets-stuck",
    handler: "packages/functions/src/secrets-stuck.handler",
    description: "Hourly: rotations left AWSPENDING are reported on the bus and recovered",
    timeoutSeconds: 300,
    memoryMB: 256,
    permissions: [
      {
        actions: [
          "secretsmanager:DescribeSecret",
          "secretsmanager:GetSecretValue",
          "secretsmanager:RotateSecret",
          "secretsmanager:UpdateSecretVersionStage",
        ],
        resources: ["managedSecrets"],
      },
      { actions: ["secretsmanager:GetSecretValue"], resources: ["rotationCredentials"] },
      { actions: ["events:PutEvents"], resources: ["eventBus"] },
      table("PutItem"),
      deadLetter,
    ],
  },
  {
    name: "secret-leak-steps",
    handler: "packages/functions/src/secret-leak-steps.handler",
    description:
      "The rotate-on-leak state machine's steps: rotate, verify, invalidate, resolve the alert, record",
    timeoutSeconds: 60,
    memoryMB: 256,
    permissions: [
      {
        actions: [
          "secretsmanager:DescribeSecret",
          "secretsmanager:GetSecretValue",
          "secretsmanager:RotateSecret",
          "secretsmanager:UpdateSecretVersionStage",
        ],
        resources: ["managedSecrets"],
      },
      { actions: ["secretsmanager:GetSecretValue"], resources: ["rotationCredentials"] },
      table("PutItem"),
      notifications,
    ],
  },
  {
    name: "failover-trigger",
    handler: "packages/functions/src/failover-trigger.handler",
    description:
      "Health-check alarm in ALARM, or an AWS Health issue in a primary region → start the runbook's failover; ARC zonal shifts → record and notify",
    timeoutSeconds: 30,
    memoryMB: 256,
    permissions: [
      { actions: ["cloudwatch:DescribeAlarms"], resources: ["failoverAlarms"] },
      { actions: ["states:StartExecution", "states:SendTaskSuccess"], resources: ["failoverStateMachine"] },
      table("GetItem", "PutItem", "UpdateItem"),
      deadLetter,
      notifications,
    ],
  },
  {
    name: "failover-steps",
    handler: "packages/functions/src/failover-steps.handler",
    description:
      "The failover state machine's steps: validate, preflight, approval, plan each part, verify, report",
    timeoutSeconds: 60,
    memoryMB: 256,
    permissions: [
      { actions: ["cloudwatch:DescribeAlarms"], resources: ["failoverAlarms"] },
      // The replicas' ReplicaLag; CloudWatch metric reads have no resource-level permissions (stacks grant "*").
      { actions: ["cloudwatch:GetMetricStatistics"], resources: ["failoverDatabases"] },
      { actions: ["states:ListExecutions"], resources: ["failoverStateMachine"] },
      {
        actions: ["states:DescribeExecution", "states:GetExecutionHistory"],
        resources: ["failoverExecutions"],
      },
      table("GetItem", "PutItem", "UpdateItem"),
      notifications,
    ],
  },
];

/**
 * Rules do not depend on the config: their number stays the same for 1 or 500 deployments,
 * and the functions select the deployments an event concerns.
 */
export const rules: readonly RuleSpec[] = [
  {
    name: "deploy-on-image-push",
    description: "Successful ECR image pushes",
    pattern: {
      source: ["aws.ecr"],
      "detail-type": ["ECR Image Action"],
      detail: { "action-type": ["PUSH"], result: ["SUCCESS"] },
    },
    target: "deploy-trigger",
  },
  {
    name: "deploy-on-github",
    description: "GitHub releases and deployments, as the webhook receiver puts them on the bus",
    pattern: { source: ["github.com"], "detail-type": ["release", "deployment"] },
    target: "deploy-trigger",
  },
  {
    name: "scan-results",
    description: "Finished image scans, ECR basic scanning and Amazon Inspector",
    pattern: {
      $or: [
        { source: ["aws.ecr"], "detail-type": ["ECR Image Scan"] },
        { source: ["aws.inspector2"], "detail-type": ["Inspector2 Scan"] },
      ],
    },
    target: "scan-result",
  },
  {
    name: "deploy-execution-failed",
    description:
      "Deploy executions that failed or timed out (the function ignores the ends its steps already reported)",
    pattern: {
      source: ["aws.states"],
      "detail-type": ["Step Functions Execution Status Change"],
      detail: { status: ["FAILED", "TIMED_OUT"], stateMachineArn: [{ suffix: "-deploy" }] },
    },
    target: "deploy-watch",
  },
  {
    name: "rollback-on-alarm",
    description: "Any CloudWatch alarm going to ALARM (the function knows which alarms guard deployments)",
    pattern: {
      source: ["aws.cloudwatch"],
      "detail-type": ["CloudWatch Alarm State Change"],
      detail: { state: { value: ["ALARM"] } },
    },
    target: "rollback",
  },
  {
    name: "cost-anomaly",
    description: "Cost Anomaly Detection alerts (the function judges them against the cost policy)",
    pattern: { source: ["aws.ce"], "detail-type": ["Anomaly Detected"] },
    target: "cost-intake",
  },
  {
    name: "rotate-on-leak",
    description: "GitHub secret scanning alerts that report a leak (created, publicly_leaked)",
    pattern: {
      source: ["github.com"],
      "detail-type": ["secret_scanning_alert"],
      detail: { action: ["created", "publicly_leaked"] },
    },
    target: "secret-leak",
  },
  {
    name: "secrets-stuck-check",
    description: "Every hour: find and recover secret rotations left AWSPENDING",
    schedule: "rate(1 hour)",
    pattern: {
      source: ["aws.events"],
      "detail-type": ["Scheduled Event"],
      // The rule is named with the stack's prefix: <prefix>secrets-stuck-check.
      resources: [{ suffix: "secrets-stuck-check" }],
    },
    target: "secrets-stuck",
  },
  {
    name: "failover-on-health-alarm",
    description: "CloudWatch alarms going to ALARM (the function knows which alarms trigger runbooks)",
    pattern: {
      source: ["aws.cloudwatch"],
      "detail-type": ["CloudWatch Alarm State Change"],
      detail: { state: { value: ["ALARM"] } },
    },
    target: "failover-trigger",
  },
  {
    name: "failover-on-aws-health",
    description:
      "AWS Health issues (the function records them and fails over runbooks whose primary region they hit)",
    pattern: {
      source: ["aws.health"],
      "detail-type": ["AWS Health Event"],
      detail: { eventTypeCategory: ["issue"] },
    },
    target: "failover-trigger",
  },
  {
    name: "failover-on-zonal-autoshift",
    description:
      "ARC zonal autoshifts and practice runs (the function records and notifies; it starts no regional failover)",
    pattern: {
      source: ["aws.arc-zonal-shift"],
      "detail-type": [
        "Autoshift In Progress",
        "Autoshift Completed",
        "Practice Run Started",
        "Practice Run Succeeded",
        "Practice Run Interrupted",
        "Practice Run Failed",
      ],
    },
    target: "failover-trigger",
  },
];

export const stateMachines: readonly StateMachineSpec[] = [
  {
    name: "deploy",
    description: "Scan gate, publish a version, shift alias traffic with alarm checks between steps",
    definition: ({ deployStepsFunction }) => deployDefinition(deployStepsFunction),
    permissions: [{ actions: ["lambda:InvokeFunction"], resources: ["deployStepsFunction"] }],
  },
  {
    name: "cost-response",
    description: "Answer one cost anomaly: plan, approve destructive actions, apply, watch, revert",
    definition: ({ costStepsFunction }) => costResponseDefinition(costStepsFunction),
    permissions: [{ actions: ["lambda:InvokeFunction"], resources: ["costStepsFunction"] }],
  },
  {
    name: "rotate-on-leak",
    description:
      "Rotate a leaked secret now, verify, invalidate the leaked credential, resolve the GitHub alert",
    definition: ({ secretLeakStepsFunction }) => rotateOnLeakDefinition(secretLeakStepsFunction),
    permissions: [{ actions: ["lambda:InvokeFunction"], resources: ["secretLeakStepsFunction"] }],
  },
  {
    name: "failover",
    description:
      "Region failover: preflight, approval, promote, scale, configure, DNS, verify, notify, report",
    definition: ({ failoverStepsFunction }) => failoverDefinition(failoverStepsFunction),
    permissions: [
      { actions: ["lambda:InvokeFunction"], resources: ["failoverStepsFunction"] },
      { actions: ["rds:DescribeDBInstances", "rds:PromoteReadReplica"], resources: ["failoverDatabases"] },
      // Aurora global databases: planned switchover (manual start) or unplanned failover (alarm, AWS Health).
      {
        actions: ["rds:DescribeGlobalClusters", "rds:SwitchoverGlobalCluster", "rds:FailoverGlobalCluster"],
        resources: ["failoverDatabases"],
      },
      {
        actions: ["lambda:GetProvisionedConcurrencyConfig", "lambda:PutProvisionedConcurrencyConfig"],
        resources: ["failoverFunctions"],
      },
      { actions: ["ecs:DescribeServices", "ecs:UpdateService"], resources: ["failoverServices"] },
      // DescribeAutoScalingGroups has no resource-level permissions (stacks grant it on "*").
      {
        actions: ["autoscaling:DescribeAutoScalingGroups", "autoscaling:UpdateAutoScalingGroup"],
        resources: ["failoverGroups"],
      },
      { actions: ["ssm:GetParameter", "ssm:PutParameter"], resources: ["failoverParameters"] },
      {
        actions: ["route53:ListResourceRecordSets", "route53:ChangeResourceRecordSets"],
        resources: ["failoverZones"],
      },
      { actions: ["route53:GetChange"], resources: ["failoverChanges"] },
      // GetHealthCheckStatus has no resource-level permissions (stacks grant it on "*").
      { actions: ["route53:GetHealthCheckStatus"], resources: ["failoverHealthChecks"] },
      notifications,
    ],
  },
  {
    name: "failback",
    description:
      "Region failback: resync a replica in the old primary region, promote it, configuration and DNS back",
    definition: ({ failoverStepsFunction }) => failbackDefinition(failoverStepsFunction),
    permissions: [
      { actions: ["lambda:InvokeFunction"], resources: ["failoverStepsFunction"] },
      {
        actions: [
          "rds:DescribeDBInstances",
          "rds:CreateDBInstanceReadReplica",
          "rds:PromoteReadReplica",
          // Aurora global databases fail back by a planned switchover.
          "rds:DescribeGlobalClusters",
          "rds:SwitchoverGlobalCluster",
        ],
        resources: ["failoverDatabases"],
      },
      { actions: ["ssm:GetParameter", "ssm:PutParameter"], resources: ["failoverParameters"] },
      {
        actions: ["route53:ListResourceRecordSets", "route53:ChangeResourceRecordSets"],
        resources: ["failoverZones"],
      },
      { actions: ["route53:GetChange"], resources: ["failoverChanges"] },
      // GetHealthCheckStatus has no resource-level permissions (stacks grant it on "*").
      { actions: ["route53:GetHealthCheckStatus"], resources: ["failoverHealthChecks"] },
      notifications,
    ],
  },
];

/** The IAM actions a function or state machine is granted that its code sends itself. */
export function sentActions(permissions: readonly Permission[]): string[] {
  return [...new Set(permissions.filter((p) => !p.implied).flatMap((p) => p.actions))].sort();
}
