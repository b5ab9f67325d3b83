import { AwsErrors, ErrorNames, ExecutionErrors, StatesErrors } from "../errors.ts";
import type { RegionalCall } from "../failover/regional.ts";
import {
  boundedPoll,
  type Catcher,
  type ChoiceState,
  catchTo,
  humanApproval,
  type JsonValue,
  type LambdaTaskOptions,
  lambdaRetry,
  lambdaTask,
  sdkRetry as retrySdk,
  type State,
  type StateMachineDefinition,
  sdkResource as sdk,
  type TaskState,
  whenEquals,
} from "./asl.ts";

/** The failover-steps actions the workflow calls, by name. */
export type FailoverAction =
  | "validate"
  | "preflight"
  | "preflightFailed"
  | "requestApproval"
  | "approvalTimedOut"
  | "plan"
  | "verify"
  | "report"
  | "call";

/** The parts a failover changes, in order; each is read, planned, then written only when needed. */
export type FailoverPart =
  | "promote"
  | "scaleLambda"
  | "scaleEcs"
  | "scaleAutoScaling"
  | "configure"
  | "dns"
  | "resync";

/**
 * A Task that makes one AWS call in another region through the steps function, which sends it
 * with a client of that region (failover/regional.ts): a Step Functions AWS SDK integration acts
 * in the state machine's own region only. With the function's ARN as its Resource, the task's
 * result is the function's answer, the AWS API's output, as an SDK integration's would be; the
 * errors keep the integration's `<Service>.<Exception>` names.
 */
export function regionalTask(
  stepsFunctionArn: string,
  call: RegionalCall,
  parameters: Record<string, JsonValue>,
  region = "$.secondaryRegion",
): TaskState {
  return {
    Type: "Task",
    Resource: stepsFunctionArn,
    Parameters: {
      action: "call" satisfies FailoverAction,
      "input.$": "$",
      "execution.$": "$$.Execution.Id",
      call,
      "region.$": region,
      parameters,
    },
    Retry: [lambdaRetry],
  };
}

/**
 * A regional read of the world before a plan decides (into `world`, e.g. "$.world.promote"):
 * a resource that does not exist is a world too (its not-found error is the result), so both
 * go on to `next`.
 */
export function readWorld(
  stepsFunctionArn: string,
  read: { call: RegionalCall; parameters: Record<string, JsonValue>; notFound: readonly string[] },
  world: string,
  next: string,
): TaskState {
  return {
    ...regionalTask(stepsFunctionArn, read.call, read.parameters),
    ResultPath: world,
    Catch: [{ ErrorEquals: [...read.notFound], Next: next, ResultPath: world }],
    Next: next,
  };
}

/** Branches on the runbook's database: an Aurora global database to `global`, else to `instance`. */
const byDatabaseKind = (global: string, instance: string): ChoiceState => ({
  Type: "Choice",
  Choices: whenEquals("$.database.kind", { "aurora-global": global }),
  Default: instance,
});

/** The first state of both failover and failback: parse the input, or fail naming what is missing. */
export function validateState(stepsFunctionArn: string, next: string): TaskState {
  return lambdaTask<FailoverAction>(stepsFunctionArn, "validate", {
    next,
    OutputPath: "$.value",
    Catch: [catchTo([ErrorNames.InvalidInput], "InvalidInput")],
  });
}

/**
 * The failover state machine. Every part (promote, scale, configure, DNS) reads the world
 * (in the secondary region through the steps function, Route 53 — global — through an AWS SDK
 * integration), lets the steps function plan it (write, skip because it is
 * done, or dry-run), and writes only when the plan says so: a console replay of a finished run
 * skips every part, and a redrive resumes at the failed state. Approval is a task token bounded
 * by the input's timeout; the promotion and DNS waits are bounded loops; nothing waits forever.
 */
export function failoverDefinition(stepsFunctionArn: string): StateMachineDefinition {
  const task = (
    action: FailoverAction,
    next: string | undefined,
    options: LambdaTaskOptions = {},
  ): TaskState => lambdaTask(stepsFunctionArn, action, { next, ...options });

  const ifConfigured = (path: string, then: string, otherwise: string): ChoiceState => ({
    Type: "Choice",
    // IsNull: true rather than IsNull: false (see deploy.ts: the local interpreter's quirk).
    Choices: [{ Variable: path, IsNull: true, Next: otherwise }],
    Default: then,
  });

  const regional = (call: RegionalCall, parameters: Record<string, JsonValue>): TaskState =>
    regionalTask(stepsFunctionArn, call, parameters);
  /** A regional call (in the secondary region), or an SDK integration of a global service. */
  type Io = { parameters: Record<string, JsonValue> } & (
    | { call: RegionalCall }
    | { resource: string; services: string[] }
  );
  const io = (spec: Io): TaskState =>
    "call" in spec
      ? regional(spec.call, spec.parameters)
      : {
          Type: "Task",
          Resource: spec.resource,
          Parameters: spec.parameters,
          Retry: [retrySdk(...spec.services)],
        };

  /** Read → Plan → Needed? → write | Skipped, for one part. */
  const part = (
    name: FailoverPart,
    read: Io & { state: string; notFound?: readonly string[] },
    write: Io & { state: string; next: string; extra?: Partial<TaskState> },
    after: string,
  ): Record<string, State> => {
    const planState = `Plan${write.state}`;
    const catchNotFound: Catcher[] = read.notFound
      ? [{ ErrorEquals: [...read.notFound], Next: planState, ResultPath: `$.world.${name}` }]
      : [];
    return {
      [read.state]: {
        ...io(read),
        ResultPath: `$.world.${name}`,
        Catch: catchNotFound,
        Next: planState,
      },
      [planState]: task("plan", `${write.state}Needed?`, {
        ResultPath: `$.plans.${name}`,
        payload: { part: name, "world.$": `$.world.${name}` },
      }),
      [`${write.state}Needed?`]: {
        Type: "Choice",
        Choices: whenEquals(`$.plans.${name}.value.act`, {
          write: write.state,
          ...(name === "promote" ? { wait: "WaitForPromotion" } : {}),
        }),
        Default: `${write.state}Skipped`,
      },
      [write.state]: {
        ...io(write),
        ResultPath: null,
        Next: write.next,
        ...write.extra,
      },
      [`${write.state}Skipped`]: {
        Type: "Pass",
        Comment: "Already done (or a dry run): the plan says why",
        Next: after,
      },
    };
  };

  /**
   * An Aurora global database: read → plan (the plan chooses planned switchover or unplanned
   * failover by trigger, or skips when the target already writes) → the write → a bounded wait
   * until the global database is available again.
   */
  const switchGlobal = (call: "rds:SwitchoverGlobalCluster" | "rds:FailoverGlobalCluster"): TaskState => ({
    ...regional(call, {
      "GlobalClusterIdentifier.$": "$.database.globalClusterIdentifier",
      "TargetDbClusterIdentifier.$": "$.plans.promote.value.to",
      ...(call === "rds:FailoverGlobalCluster" ? { AllowDataLoss: true } : {}),
    }),
    ResultPath: null,
    // Someone else switched it meanwhile: read again and decide again.
    Catch: [catchTo(AwsErrors.InvalidGlobalClusterState, "ReadGlobalCluster")],
    Next: "WaitForGlobalSwitch",
  });
  /** The Aurora global database, read before a plan decides (read by the failover's preflight too). */
  const readGlobalCluster = {
    call: "rds:DescribeGlobalClusters",
    parameters: { "GlobalClusterIdentifier.$": "$.database.globalClusterIdentifier" },
    notFound: AwsErrors.GlobalClusterNotFound,
  } as const;
  const globalDatabase: Record<string, State> = {
    ReadGlobalCluster: readWorld(stepsFunctionArn, readGlobalCluster, "$.world.promote", "PlanSwitchGlobal"),
    PlanSwitchGlobal: task("plan", "SwitchGlobalNeeded?", {
      ResultPath: "$.plans.promote",
      payload: { part: "promote", "world.$": "$.world.promote" },
    }),
    "SwitchGlobalNeeded?": {
      Type: "Choice",
      Choices: [
        {
          And: [
            { Variable: "$.plans.promote.value.act", StringEquals: "write" },
            { Variable: "$.plans.promote.value.mode", StringEquals: "failover" },
          ],
          Next: "FailoverGlobalCluster",
        },
        ...whenEquals("$.plans.promote.value.act", {
          write: "SwitchoverGlobalCluster",
          wait: "GlobalSwitchBound?",
        }),
      ],
      Default: "SwitchGlobalSkipped",
    },
    SwitchoverGlobalCluster: switchGlobal("rds:SwitchoverGlobalCluster"),
    FailoverGlobalCluster: switchGlobal("rds:FailoverGlobalCluster"),
    SwitchGlobalSkipped: {
      Type: "Pass",
      Comment: "Already the writer (or a dry run): the plan says why",
      Next: "ScaleLambda?",
    },
    ...boundedPoll({
      check: {
        start: "CheckGlobalSwitch",
        states: {
          CheckGlobalSwitch: {
            ...regional("rds:DescribeGlobalClusters", {
              "GlobalClusterIdentifier.$": "$.database.globalClusterIdentifier",
            }),
            ResultSelector: { "cluster.$": "$.GlobalClusters[0]" },
            ResultPath: "$.promotion",
            Next: "GlobalSwitched?",
          },
        },
      },
      done: {
        state: "GlobalSwitched?",
        choices: [
          { Variable: "$.promotion.cluster.Status", StringEquals: "available", Next: "ScaleLambda?" },
        ],
      },
      counter: {
        path: "$.progress.globalSwitch",
        max: "$.waits.promotion.maxChecks",
        bound: "GlobalSwitchBound?",
        count: "CountGlobalSwitchCheck",
      },
      wait: { state: "WaitForGlobalSwitch", secondsPath: "$.waits.promotion.intervalSeconds" },
      // The same end as a replica's promotion (defined with that loop below).
      timeout: { state: "PromotionTimedOut" },
    }),
  };

  return {
    Comment:
      "Switchyard failover: preflight, approval, promote the replica, scale the secondary, configure, switch DNS, verify, notify, report",
    StartAt: "Validate",
    // A bound on the whole run, above every inner bound (approval, promotion, DNS).
    TimeoutSeconds: 6 * 3600,
    States: {
      Validate: validateState(stepsFunctionArn, "Database?"),
      InvalidInput: { Type: "Fail", Error: ErrorNames.InvalidInput, CausePath: "$.error.Cause" },
      "Database?": ifConfigured("$.database", "DatabaseKind?", "Preflight"),
      "DatabaseKind?": byDatabaseKind("ReadGlobalDatabase", "ReadDatabase"),
      ReadGlobalDatabase: readWorld(stepsFunctionArn, readGlobalCluster, "$.world.promote", "Preflight"),
      ReadDatabase: readWorld(
        stepsFunctionArn,
        {
          call: "rds:DescribeDBInstances",
          parameters: { "DBInstanceIdentifier.$": "$.database.replica" },
          notFound: AwsErrors.DbInstanceNotFound,
        },
        "$.world.promote",
        "Preflight",
      ),
      Preflight: task("preflight", "Preflight?", {
        ResultPath: "$.preflight",
        payload: { "world.$": "$.world", "stateMachine.$": "$$.StateMachine.Id" },
      }),
      "Preflight?": {
        Type: "Choice",
        Choices: [
          { Variable: "$.preflight.value.ok", BooleanEquals: false, Next: "PreflightFailed" },
          {
            Variable: "$.preflight.value.approval",
            StringEquals: "required",
            Next: "WaitForApprovalToFailOver",
          },
        ],
        Default: "Promote?",
      },
      PreflightFailed: task("preflightFailed", "PreflightFailedEnd", { ResultPath: null }),
      PreflightFailedEnd: {
        Type: "Fail",
        Error: ExecutionErrors.PreflightFailed,
        CausePath: "$.preflight.value.reason",
      },
      ...humanApproval(
        "WaitForApprovalToFailOver",
        stepsFunctionArn,
        "requestApproval" satisfies FailoverAction,
        {
          Comment:
            "A human approves with `switchyard failover approve <runbook>` (SendTaskSuccess); bounded by the input's timeout",
          TimeoutSecondsPath: "$.approval.timeoutSeconds",
          ResultPath: "$.approved",
          Catch: [
            catchTo([StatesErrors.Timeout], "ApprovalTimedOut"),
            catchTo([ErrorNames.ApprovalRejected], "ApprovalRejected"),
          ],
          next: "Promote?",
        },
      ),
      ApprovalTimedOut: task("approvalTimedOut", "ApprovalTimedOutEnd", { ResultPath: null }),
      ApprovalTimedOutEnd: {
        Type: "Fail",
        Error: ExecutionErrors.ApprovalTimedOut,
        Cause: "Nobody approved the failover in time: nothing was changed",
      },
      ApprovalRejected: { Type: "Fail", Error: ErrorNames.ApprovalRejected, CausePath: "$.error.Cause" },

      "Promote?": ifConfigured("$.database", "PromoteKind?", "ScaleLambda?"),
      "PromoteKind?": byDatabaseKind("ReadGlobalCluster", "ReadReplica"),
      ...globalDatabase,
      ...part(
        "promote",
        {
          state: "ReadReplica",
          call: "rds:DescribeDBInstances",
          parameters: { "DBInstanceIdentifier.$": "$.database.replica" },
          notFound: AwsErrors.DbInstanceNotFound,
        },
        {
          state: "PromoteReplica",
          call: "rds:PromoteReadReplica",
          parameters: { "DBInstanceIdentifier.$": "$.database.replica" },
          next: "WaitForPromotion",
          extra: {
            // Someone else promoted it meanwhile: read again and decide again.
            Catch: [catchTo(AwsErrors.InvalidDbInstanceState, "ReadReplica")],
          },
        },
        "ScaleLambda?",
      ),
      ...boundedPoll({
        check: {
          start: "CheckPromotion",
          states: {
            CheckPromotion: {
              ...regional("rds:DescribeDBInstances", { "DBInstanceIdentifier.$": "$.database.replica" }),
              ResultSelector: { "db.$": "$.DBInstances[0]" },
              ResultPath: "$.promotion",
              Next: "Promoted?",
            },
          },
        },
        done: {
          state: "Promoted?",
          choices: [
            // Still a replica (its status may read "available" before the promotion starts).
            {
              Variable: "$.promotion.db.ReadReplicaSourceDBInstanceIdentifier",
              IsPresent: true,
              Next: "PromotionBound?",
            },
            { Variable: "$.promotion.db.DBInstanceStatus", StringEquals: "available", Next: "ScaleLambda?" },
          ],
        },
        counter: {
          path: "$.progress.promotion",
          max: "$.waits.promotion.maxChecks",
          bound: "PromotionBound?",
          count: "CountPromotionCheck",
        },
        wait: { state: "WaitForPromotion", secondsPath: "$.waits.promotion.intervalSeconds" },
        timeout: {
          state: "PromotionTimedOut",
          fail: {
            Type: "Fail",
            Error: ExecutionErrors.PromotionTimedOut,
            Cause:
              "The replica did not become an available standalone instance in time: check it in the RDS console, then redrive",
          },
        },
      }),

      "ScaleLambda?": ifConfigured("$.compute.lambda", "ReadLambdaCapacity", "ScaleEcs?"),
      ...part(
        "scaleLambda",
        {
          state: "ReadLambdaCapacity",
          call: "lambda:GetProvisionedConcurrencyConfig",
          parameters: {
            "FunctionName.$": "$.compute.lambda.function",
            "Qualifier.$": "$.compute.lambda.alias",
          },
          notFound: AwsErrors.ProvisionedConcurrencyConfigNotFound,
        },
        {
          state: "ScaleLambda",
          call: "lambda:PutProvisionedConcurrencyConfig",
          parameters: {
            "FunctionName.$": "$.compute.lambda.function",
            "Qualifier.$": "$.compute.lambda.alias",
            "ProvisionedConcurrentExecutions.$": "$.compute.lambda.provisionedConcurrency",
          },
          next: "ScaleEcs?",
        },
        "ScaleEcs?",
      ),
      "ScaleEcs?": ifConfigured("$.compute.ecs", "ReadEcsService", "ScaleAutoScaling?"),
      ...part(
        "scaleEcs",
        {
          state: "ReadEcsService",
          call: "ecs:DescribeServices",
          parameters: {
            "cluster.$": "$.compute.ecs.cluster",
            "services.$": "States.Array($.compute.ecs.service)",
          },
        },
        {
          state: "ScaleEcs",
          call: "ecs:UpdateService",
          parameters: {
            "cluster.$": "$.compute.ecs.cluster",
            "service.$": "$.compute.ecs.service",
            "desiredCount.$": "$.compute.ecs.desiredCount",
          },
          next: "ScaleAutoScaling?",
        },
        "ScaleAutoScaling?",
      ),
      "ScaleAutoScaling?": ifConfigured("$.compute.autoScaling", "ReadAutoScalingGroup", "Configure?"),
      ...part(
        "scaleAutoScaling",
        {
          state: "ReadAutoScalingGroup",
          call: "autoscaling:DescribeAutoScalingGroups",
          parameters: { "AutoScalingGroupNames.$": "States.Array($.compute.autoScaling.group)" },
        },
        {
          state: "ScaleAutoScaling",
          call: "autoscaling:UpdateAutoScalingGroup",
          parameters: {
            "AutoScalingGroupName.$": "$.compute.autoScaling.group",
            "DesiredCapacity.$": "$.compute.autoScaling.desiredCapacity",
          },
          next: "Configure?",
        },
        "Configure?",
      ),
      "Configure?": ifConfigured("$.configuration", "ReadParameter", "Dns?"),
      ...part(
        "configure",
        {
          state: "ReadParameter",
          call: "ssm:GetParameter",
          parameters: { "Name.$": "$.configuration.parameter" },
          notFound: AwsErrors.SsmParameterNotFound,
        },
        {
          state: "Configure",
          call: "ssm:PutParameter",
          parameters: {
            "Name.$": "$.configuration.parameter",
            "Value.$": "$.configuration.value",
            Type: "String",
            Overwrite: true,
          },
          next: "Dns?",
        },
        "Dns?",
      ),
      "Dns?": ifConfigured("$.dns", "ReadRecord", "HealthCheck?"),
      ...part(
        "dns",
        {
          state: "ReadRecord",
          // Route 53 is global: its SDK integration reaches it from the stack's region.
          resource: sdk("route53", "listResourceRecordSets"),
          services: ["Route53"],
          parameters: {
            "HostedZoneId.$": "$.dns.hostedZoneId",
            "StartRecordName.$": "$.dns.name",
            "StartRecordType.$": "$.dns.type",
            MaxItems: "1",
          },
        },
        {
          state: "SwitchDns",
          resource: sdk("route53", "changeResourceRecordSets"),
          services: ["Route53"],
          parameters: {
            "HostedZoneId.$": "$.dns.hostedZoneId",
            ChangeBatch: {
              "Comment.$": "States.Format('switchyard failover {} ({})', $.runbook, $$.Execution.Name)",
              Changes: [
                {
                  Action: "UPSERT",
                  ResourceRecordSet: {
                    "Name.$": "$.dns.name",
                    "Type.$": "$.dns.type",
                    "TTL.$": "$.dns.ttl",
                    "ResourceRecords.$": "$.plans.dns.value.resourceRecords",
                  },
                },
              ],
            },
          },
          next: "WaitForDnsSync",
          extra: {
            ResultSelector: { "id.$": "$.ChangeInfo.Id", "status.$": "$.ChangeInfo.Status" },
            ResultPath: "$.dnsChange",
          },
        },
        "HealthCheck?",
      ),
      ...boundedPoll({
        check: {
          start: "CheckDnsSync",
          states: {
            CheckDnsSync: {
              Type: "Task",
              Resource: sdk("route53", "getChange"),
              Parameters: { "Id.$": "$.dnsChange.id" },
              ResultSelector: { "id.$": "$.ChangeInfo.Id", "status.$": "$.ChangeInfo.Status" },
              ResultPath: "$.dnsChange",
              Retry: [retrySdk("Route53")],
              Next: "DnsInSync?",
            },
          },
        },
        done: {
          state: "DnsInSync?",
          choices: [{ Variable: "$.dnsChange.status", StringEquals: "INSYNC", Next: "HealthCheck?" }],
        },
        counter: {
          path: "$.progress.dns",
          max: "$.waits.dns.maxChecks",
          bound: "DnsSyncBound?",
          count: "CountDnsCheck",
        },
        wait: { state: "WaitForDnsSync", secondsPath: "$.waits.dns.intervalSeconds" },
        timeout: {
          state: "DnsSyncTimedOut",
          fail: {
            Type: "Fail",
            Error: ExecutionErrors.DnsSyncTimedOut,
            Cause: "The Route 53 change did not reach INSYNC in time: redrive to check it again",
          },
        },
      }),

      "HealthCheck?": ifConfigured("$.verify.healthCheckId", "ReadHealthCheck", "NoHealthCheck"),
      // Verify reads `$.world.health`: a runbook without a health check still has to name it.
      NoHealthCheck: { Type: "Pass", Result: {}, ResultPath: "$.world.health", Next: "Verify" },
      ReadHealthCheck: {
        Type: "Task",
        Resource: sdk("route53", "getHealthCheckStatus"),
        Parameters: { "HealthCheckId.$": "$.verify.healthCheckId" },
        ResultPath: "$.world.health",
        Retry: [retrySdk("Route53")],
        Next: "Verify",
      },
      Verify: task("verify", "Report", {
        ResultPath: "$.verification",
        payload: { "world.$": "$.world.health" },
        retry: [
          // The secondary may need a minute to answer: probe again, a bounded number of times.
          {
            ErrorEquals: [ErrorNames.VerificationFailed],
            IntervalSeconds: 30,
            MaxAttempts: 5,
            BackoffRate: 1,
          },
        ],
      }),
      Report: task("report", "Notify?", { ResultPath: "$.report" }),
      "Notify?": ifConfigured("$.notifyTopicArn", "Notify", "Done?"),
      Notify: {
        Type: "Task",
        Resource: "arn:aws:states:::sns:publish",
        Parameters: {
          "TopicArn.$": "$.notifyTopicArn",
          "Subject.$": "$.report.value.subject",
          "Message.$": "$.report.value.markdown",
        },
        ResultPath: null,
        Retry: [retrySdk("Sns", "SNS")],
        Next: "Done?",
      },
      "Done?": {
        Type: "Choice",
        Choices: [{ Variable: "$.report.value.changed", NumericEquals: 0, Next: "NothingToDo" }],
        Default: "FailedOver",
      },
      NothingToDo: { Type: "Succeed", Comment: "Every part was already failed over (or this was a dry run)" },
      FailedOver: { Type: "Succeed" },
    },
  };
}
