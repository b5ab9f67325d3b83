import { coveringPrefix, localFunctionName } from "../../packages/core/src/config/iam.ts";
import type { Config } from "../../packages/core/src/config/index.ts";
import type { ActionConfig } from "../../packages/core/src/cost/config.ts";
import { budgetAlarmDefinitions } from "../../packages/core/src/deployments/slo.ts";
import type { ResourceRef } from "../../packages/core/src/wiring.ts";
import type { Names } from "./names.ts";

const unique = (values: string[]) => [...new Set(values)];

/** Each symbolic resource of core's wiring and the ARNs it stands for in this stack and config. */
export function resolveResources(config: Config, n: Names): Record<ResourceRef, string[]> {
  const { arn, lambdaArn, secretArnOf } = n;
  const topicArn = config.notifications.topicArn;
  return {
    stateTable: [n.table.arn, `${n.table.arn}/index/*`],
    deployStateMachine: [n.stateMachineArn("deploy")],
    deployExecutions: [n.executionsArn("deploy")],
    managedFunctions: managedFunctionArns(config, n),
    managedAlarms: unique(
      config.deployments.flatMap((d) => [
        ...d.alarms.map((alarm) => arn("cloudwatch", `alarm:${alarm}`)),
        ...budgetAlarmDefinitions(d).map((alarm) => arn("cloudwatch", `alarm:${alarm.AlarmName}`)),
      ]),
    ),
    deployVersionAlarms: unique(
      config.deployments.flatMap((d) =>
        d.versionAlarms?.length ? [arn("cloudwatch", `alarm:switchyard-${d.name}-v*`)] : [],
      ),
    ),
    deployHookFunctions: unique(
      config.deployments.flatMap((d) =>
        [...(d.hooks?.beforeAllowTraffic ?? []), ...(d.hooks?.afterAllowTraffic ?? [])].flatMap((h) =>
          "lambda" in h ? [lambdaArn(h.lambda.function)] : [],
        ),
      ),
    ),
    deadLetterQueue: [n.queue.arn],
    notificationTopic: topicArn ? [topicArn] : [],
    eventBus: [n.eventBusArn],
    webhookSecret: [n.webhookSecret.arnPattern],
    deployStepsFunction: [n.functionArn("deploy-steps"), `${n.functionArn("deploy-steps")}:*`],
    imageRepositories: unique(
      config.deployments.flatMap((d) => {
        if (!d.image) return [];
        const prefix = coveringPrefix(d.image.repository, config.iam.repositoryPrefixes);
        return [arn("ecr", `repository/${prefix === undefined ? d.image.repository : `${prefix}*`}`)];
      }),
    ),
    deployGithubTokens: unique(
      config.deployments.flatMap((d) =>
        d.github?.statuses ? [secretArnOf(d.github.statuses.tokenSecret)] : [],
      ),
    ),
    costStateMachine: [n.stateMachineArn("cost-response")],
    costExecutions: [n.executionsArn("cost-response")],
    costStepsFunction: [n.functionArn("cost-steps"), `${n.functionArn("cost-steps")}:*`],
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
    rotationFunctions: unique(
      config.secrets.map((s) =>
        s.rotationFunction ? lambdaArn(s.rotationFunction) : n.functionArn("rotate"),
      ),
    ),
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
    rotateOnLeakStateMachine: [n.stateMachineArn("rotate-on-leak")],
    rotateOnLeakExecutions: [n.executionsArn("rotate-on-leak")],
    secretLeakStepsFunction: [n.functionArn("secret-leak-steps"), `${n.functionArn("secret-leak-steps")}:*`],
    ...failoverResources(config, n),
  };
}

/**
 * The deployments' functions: each function and its versions and aliases (`:*`), or, for a
 * function under a prefix the config declares (`iam.functionPrefixes`), that prefix's one
 * wildcard ARN, which covers the qualified ARNs too since IAM's `*` crosses ":"
 * (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_resource.html,
 * docs/decisions/0024-iam-at-scale.md).
 */
function managedFunctionArns(config: Config, n: Names): string[] {
  return unique(
    config.deployments.flatMap((d) => {
      const name = localFunctionName(d.function, n.region, n.account);
      const prefix = name === undefined ? undefined : coveringPrefix(name, config.iam.functionPrefixes);
      if (prefix !== undefined) return [n.arn("lambda", `function:${prefix}*`)];
      return [n.lambdaArn(d.function), `${n.lambdaArn(d.function)}:*`];
    }),
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
  n: Names,
): Pick<Record<ResourceRef, string[]>, Extract<ResourceRef, `failover${string}`>> {
  const { partition, account, regionalArn: regional } = n;
  const runbooks = config.failover.runbooks;
  const zone = (id: string) => `arn:${partition}:route53:::hostedzone/${id.replace(/^\/hostedzone\//, "")}`;
  return {
    // The failback state machine runs the same steps function: it is listed beside the failover one.
    failoverStateMachine: [n.stateMachineArn("failover"), n.stateMachineArn("failback")],
    failoverExecutions: [n.executionsArn("failover"), n.executionsArn("failback")],
    failoverStepsFunction: [n.functionArn("failover-steps"), `${n.functionArn("failover-steps")}:*`],
    failoverAlarms: unique(
      // A trigger alarm of another region is named by its ARN.
      runbooks.flatMap((r) =>
        r.triggers.alarms.map((a) => (a.startsWith("arn:") ? a : n.arn("cloudwatch", `alarm:${a}`))),
      ),
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
      runbooks.flatMap((r) => {
        if (!r.configuration) return [];
        const name = `parameter/${r.configuration.parameter.replace(/^\//, "")}`;
        // A failback points the configuration back in the old primary region, where it reads it first.
        return [
          regional("ssm", r.secondaryRegion, name),
          ...(r.failback ? [regional("ssm", r.primaryRegion, name)] : []),
        ];
      }),
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
