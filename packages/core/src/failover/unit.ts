import { deadLetterGrant, notificationsGrant, type Permission, stateTableGrant } from "../permissions.ts";
import { contextFunction, type SameActions, type StepsUnit } from "../unit.ts";
import { type FailoverAction, failoverDefinition } from "../workflows/failover.ts";
import { FailoverInput } from "./input.ts";
import { failoverStepSpec } from "./step-spec.ts";
import type { FailoverStepAction } from "./steps.ts";

// A Task action the workflow calls but the steps do not define (or the reverse) fails to compile.
const sameActions: SameActions<FailoverStepAction, FailoverAction> = true;
void sameActions;

/**
 * The steps live in a module of their own (step-spec.ts): the failover-steps function imports
 * them without the unit, whose state machine definitions it never reads.
 */
export { failoverStepSpec };

/**
 * The regional calls the failover-steps function makes for both state machines, with clients of
 * the runbook's regions (regional.ts): a state machine's SDK integrations act in its own region only.
 */
const regionalPermissions: readonly Permission[] = [
  {
    actions: ["rds:DescribeDBInstances", "rds:PromoteReadReplica", "rds:CreateDBInstanceReadReplica"],
    resources: ["failoverDatabases"],
  },
  // Aurora global databases: planned switchover (manual start, failback) or unplanned failover (alarm, AWS Health).
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
];

/** Region failover and failback state machines: their steps function, Route 53 (global) and notifications. */
export const failoverMachinePermissions: readonly Permission[] = [
  { actions: ["lambda:InvokeFunction"], resources: ["failoverStepsFunction"] },
  {
    actions: ["route53:ListResourceRecordSets", "route53:ChangeResourceRecordSets"],
    resources: ["failoverZones"],
  },
  { actions: ["route53:GetChange"], resources: ["failoverChanges"] },
  // GetHealthCheckStatus has no resource-level permissions (stacks grant it on "*").
  { actions: ["route53:GetHealthCheckStatus"], resources: ["failoverHealthChecks"] },
  notificationsGrant,
];

/**
 * Failover runbooks: a health alarm or an AWS Health issue in a primary region starts the
 * runbook's failover (preflight, approval, promote, scale, configure, DNS, verify, report); ARC
 * zonal shifts are recorded and notified.
 */
export const failoverUnit: StepsUnit<typeof failoverStepSpec> = {
  reaction: "failover",
  functions: [
    contextFunction({
      name: "failover-trigger",
      description:
        "Health-check alarm in ALARM, or an AWS Health issue in a primary region → start the runbook's failover; ARC zonal shifts → record and notify",
      timeoutSeconds: 30,
      memoryMB: 256,
      permissions: [
        { actions: ["cloudwatch:DescribeAlarms"], resources: ["failoverAlarms"] },
        { actions: ["states:StartExecution", "states:SendTaskSuccess"], resources: ["failoverStateMachine"] },
        // Whether the execution a pending approval belongs to still runs (one that ended is cleared).
        { actions: ["states:DescribeExecution"], resources: ["failoverExecutions"] },
        stateTableGrant("GetItem", "PutItem", "UpdateItem"),
        deadLetterGrant,
        notificationsGrant,
      ],
    }),
    contextFunction({
      name: "failover-steps",
      description:
        "The failover and failback state machines' steps: validate, preflight, approval, plan each part, the calls in the runbook's regions, verify, report",
      timeoutSeconds: 60,
      memoryMB: 256,
      permissions: [
        { actions: ["cloudwatch:DescribeAlarms"], resources: ["failoverAlarms"] },
        // The replicas' ReplicaLag; CloudWatch metric reads have no resource-level permissions (stacks grant "*").
        { actions: ["cloudwatch:GetMetricStatistics"], resources: ["failoverDatabases"] },
        { actions: ["states:ListExecutions"], resources: ["failoverStateMachine"] },
        ...regionalPermissions,
        {
          actions: ["states:DescribeExecution", "states:GetExecutionHistory"],
          resources: ["failoverExecutions"],
        },
        stateTableGrant("GetItem", "PutItem", "UpdateItem"),
        notificationsGrant,
      ],
    }),
  ],
  rules: [
    {
      name: "failover-on-health-alarm",
      description:
        "The runbooks' trigger alarms going to ALARM (the pattern lists their names for each config: wiring's rulesFor)",
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
    {
      name: "failover-on-region-switch",
      description:
        "ARC Region switch plan executions started, completed or failed (the function records and notifies; it starts no failover)",
      pattern: { source: ["aws.arc-region-switch"], "detail-type": ["ARC Region Switch Plan Execution"] },
      target: "failover-trigger",
    },
  ],
  stateMachine: {
    name: "failover",
    description:
      "Region failover: preflight, approval, promote, scale, configure, DNS, verify, notify, report",
    definition: ({ failoverStepsFunction }) => failoverDefinition(failoverStepsFunction),
    permissions: failoverMachinePermissions,
  },
  input: FailoverInput,
  steps: failoverStepSpec,
};
