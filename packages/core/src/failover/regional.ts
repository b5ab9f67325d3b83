import {
  DescribeAutoScalingGroupsCommand,
  type DescribeAutoScalingGroupsCommandInput,
  UpdateAutoScalingGroupCommand,
  type UpdateAutoScalingGroupCommandInput,
} from "@aws-sdk/client-auto-scaling";
import {
  DescribeServicesCommand,
  type DescribeServicesCommandInput,
  UpdateServiceCommand,
  type UpdateServiceCommandInput,
} from "@aws-sdk/client-ecs";
import {
  GetProvisionedConcurrencyConfigCommand,
  type GetProvisionedConcurrencyConfigCommandInput,
  PutProvisionedConcurrencyConfigCommand,
  type PutProvisionedConcurrencyConfigCommandInput,
} from "@aws-sdk/client-lambda";
import {
  CreateDBInstanceReadReplicaCommand,
  type CreateDBInstanceReadReplicaCommandInput,
  DescribeDBInstancesCommand,
  type DescribeDBInstancesCommandInput,
  DescribeGlobalClustersCommand,
  type DescribeGlobalClustersCommandInput,
  FailoverGlobalClusterCommand,
  type FailoverGlobalClusterCommandInput,
  PromoteReadReplicaCommand,
  type PromoteReadReplicaCommandInput,
  SwitchoverGlobalClusterCommand,
  type SwitchoverGlobalClusterCommandInput,
} from "@aws-sdk/client-rds";
import {
  GetParameterCommand,
  type GetParameterCommandInput,
  PutParameterCommand,
  type PutParameterCommandInput,
} from "@aws-sdk/client-ssm";
import type { AwsClients } from "../aws/clients.ts";
import { ErrorNames, isTransient, SwitchyardError } from "../errors.ts";
import { logger } from "../observability/logger.ts";
import type { Step } from "./carried.ts";

/**
 * The failover's cross-region calls. A Step Functions AWS SDK integration acts in the state
 * machine's own region only, so the failover and failback machines (in the stack's region) make
 * every call to a regional service of another region through the failover-steps function, which
 * sends it with a client of that region: AWS's own pattern for it (the CDK's
 * CallAwsServiceCrossRegion task, https://docs.aws.amazon.com/cdk/api/v2/docs/aws-cdk-lib.aws_stepfunctions_tasks.CallAwsServiceCrossRegion.html).
 * See docs/decisions/0012-cross-region-failover.md. Only the calls in this table can be asked
 * for, and only in a region the run's input names.
 */
type Send = (clients: AwsClients, parameters: never) => Promise<object>;

const calls = {
  "rds:DescribeDBInstances": (c, p: DescribeDBInstancesCommandInput) =>
    c.rds.send(new DescribeDBInstancesCommand(p)),
  "rds:PromoteReadReplica": (c, p: PromoteReadReplicaCommandInput) =>
    c.rds.send(new PromoteReadReplicaCommand(p)),
  "rds:CreateDBInstanceReadReplica": (c, p: CreateDBInstanceReadReplicaCommandInput) =>
    c.rds.send(new CreateDBInstanceReadReplicaCommand(p)),
  "rds:DescribeGlobalClusters": (c, p: DescribeGlobalClustersCommandInput) =>
    c.rds.send(new DescribeGlobalClustersCommand(p)),
  "rds:SwitchoverGlobalCluster": (c, p: SwitchoverGlobalClusterCommandInput) =>
    c.rds.send(new SwitchoverGlobalClusterCommand(p)),
  "rds:FailoverGlobalCluster": (c, p: FailoverGlobalClusterCommandInput) =>
    c.rds.send(new FailoverGlobalClusterCommand(p)),
  "lambda:GetProvisionedConcurrencyConfig": (c, p: GetProvisionedConcurrencyConfigCommandInput) =>
    c.lambda.send(new GetProvisionedConcurrencyConfigCommand(p)),
  "lambda:PutProvisionedConcurrencyConfig": (c, p: PutProvisionedConcurrencyConfigCommandInput) =>
    c.lambda.send(new PutProvisionedConcurrencyConfigCommand(p)),
  "ecs:DescribeServices": (c, p: DescribeServicesCommandInput) => c.ecs.send(new DescribeServicesCommand(p)),
  "ecs:UpdateService": (c, p: UpdateServiceCommandInput) => c.ecs.send(new UpdateServiceCommand(p)),
  "autoscaling:DescribeAutoScalingGroups": (c, p: DescribeAutoScalingGroupsCommandInput) =>
    c.autoscaling.send(new DescribeAutoScalingGroupsCommand(p)),
  "autoscaling:UpdateAutoScalingGroup": (c, p: UpdateAutoScalingGroupCommandInput) =>
    c.autoscaling.send(new UpdateAutoScalingGroupCommand(p)),
  "ssm:GetParameter": (c, p: GetParameterCommandInput) => c.ssm.send(new GetParameterCommand(p)),
  "ssm:PutParameter": (c, p: PutParameterCommandInput) => c.ssm.send(new PutParameterCommand(p)),
} satisfies Record<string, (clients: AwsClients, parameters: never) => Promise<object>>;

export type RegionalCall = keyof typeof calls;
export const REGIONAL_CALLS = Object.keys(calls) as RegionalCall[];

/**
 * The prefix a Step Functions AWS SDK integration gives a service's errors (`Rds.`, `Ssm.`, ...):
 * the errors of a call keep the names the Catch lists match (errors.ts `AwsErrors`).
 */
const ERROR_PREFIX: Record<string, string> = {
  rds: "Rds",
  lambda: "Lambda",
  ecs: "Ecs",
  autoscaling: "AutoScaling",
  ssm: "Ssm",
};

/** An AWS error of a regional call, named `<Service>.<Exception>` for the state machine's Catch. */
class RegionalCallError extends Error {
  constructor(name: string, message: string) {
    super(message);
    this.name = name;
  }
}

/** The `call` step: one regional call, sent with a client of the region the task names. */
export const callInRegion: Step = async (deps, input, payload) => {
  const call = payload.call as RegionalCall | undefined;
  const send: Send | undefined = call ? calls[call] : undefined;
  if (!call || !send)
    throw new SwitchyardError(
      ErrorNames.InvalidInput,
      `unknown regional call ${String(call)}; expected one of ${REGIONAL_CALLS.join(", ")}`,
    );
  const region = payload.region ?? "";
  // Switchyard acts only in the regions the run names (the runbook's two).
  if (region !== input.primaryRegion && region !== input.secondaryRegion)
    throw new SwitchyardError(
      ErrorNames.InvalidInput,
      `${call} in ${String(region)}: the run names only ${input.primaryRegion} and ${input.secondaryRegion}`,
    );
  const [service] = call.split(":") as [string];
  try {
    // A parameter the input leaves null (an optional KmsKeyId) is not sent at all.
    const parameters = Object.fromEntries(
      Object.entries(payload.parameters ?? {}).filter(([, value]) => value !== null),
    );
    const { $metadata: _metadata, ...out } = (await send(
      deps.clients.forRegion(region),
      parameters as never,
    )) as { $metadata?: unknown };
    logger.info(`failover ${call} in ${region}`);
    // What a Lambda function returns is JSON: dates become ISO strings, as the state machine sees them.
    return JSON.parse(JSON.stringify(out)) as unknown;
  } catch (error) {
    const e = error as Error;
    if (isTransient(e))
      throw new SwitchyardError(ErrorNames.Throttled, `${call} in ${region}: ${e.name}: ${e.message}`);
    throw new RegionalCallError(
      `${ERROR_PREFIX[service] ?? service}.${e.name}`,
      `${call} in ${region}: ${e.message}`,
    );
  }
};
