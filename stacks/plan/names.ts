import type { Config } from "../../packages/core/src/config/index.ts";
import type { FunctionName, StateMachineSpec } from "../../packages/core/src/wiring.ts";

/** The event bus every rule listens on and the GitHub receiver forwards to. */
export const DEFAULT_BUS = "default";

/** SST's app name, as `app().name` in sst.config.ts; SST writes it into every function's environment. */
export const SST_APP = "switchyard";

/** A stage becomes part of every resource name. */
export const STAGE = /^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$/;

/** Stages whose data outlives `sst remove` (sst.config.ts retains their resources). */
const RETAINED_STAGES = new Set(["production"]);

/** Partitions by region, for ARNs and the SQS endpoint; any other region is in `aws`. */
const PARTITIONS: { match: RegExp; partition: string; dnsSuffix: string }[] = [
  { match: /^cn-/, partition: "aws-cn", dnsSuffix: "amazonaws.com.cn" },
  { match: /-gov-/, partition: "aws-us-gov", dnsSuffix: "amazonaws.com" },
  { match: /-isob-/, partition: "aws-iso-b", dnsSuffix: "sc2s.sgov.gov" },
  { match: /-iso-/, partition: "aws-iso", dnsSuffix: "c2s.ic.gov" },
];

export type StateMachineName = StateMachineSpec["name"];

/**
 * Every name and ARN the stack creates or points at, built from the config's account and region,
 * the app (the config's `name`) and the stage: the one place that spells them.
 */
export interface Names {
  readonly app: string;
  readonly stage: string;
  readonly region: string;
  readonly account: string;
  readonly partition: string;
  /** `${app}-${stage}`: the start of every resource name. */
  readonly prefix: string;
  /** The stage keeps its data through `sst remove`. */
  readonly retained: boolean;
  /** An ARN in the stack's region and account. */
  arn(service: string, resource: string): string;
  /** An ARN in another region of the stack's account. */
  regionalArn(service: string, region: string, resource: string): string;
  /** A Lambda function's ARN, from its name (in the stack's region) or its ARN. */
  lambdaArn(nameOrArn: string): string;
  /** A secret's ARN pattern, from its name (Secrets Manager appends six random characters) or its ARN. */
  secretArnOf(id: string): string;
  policyArn(name: string): string;
  readonly table: { name: string; arn: string };
  readonly queue: { name: string; arn: string; url: string };
  readonly webhookSecret: { name: string; arnPattern: string };
  readonly eventBusArn: string;
  readonly dashboardName: string;
  functionName(name: FunctionName): string;
  functionArn(name: FunctionName): string;
  stateMachineName(name: StateMachineName): string;
  stateMachineArn(name: StateMachineName): string;
  /** Every execution of the state machine, for grants. */
  executionsArn(name: StateMachineName): string;
  stateMachineRole(name: StateMachineName): { name: string; arn: string };
  stateMachineLogGroup(name: StateMachineName): { name: string; arn: string };
  ruleName(name: string): string;
  ruleArn(name: string): string;
  alarmName(what: string): string;
}

export function names(config: Config, stage: string): Names {
  const { region, account } = config;
  const app = config.name;
  const { partition, dnsSuffix } = PARTITIONS.find((p) => p.match.test(region)) ?? {
    partition: "aws",
    dnsSuffix: "amazonaws.com",
  };
  const arn = (service: string, resource: string) =>
    `arn:${partition}:${service}:${region}:${account}:${resource}`;
  const prefix = `${app}-${stage}`;
  const tableName = `${prefix}-state`;
  const queueName = `${prefix}-dead-letters`;
  const secretName = `${app}/${stage}/github-webhook-secret`;
  const functionName = (name: FunctionName) => `${prefix}-${name}`;
  const stateMachineName = (name: StateMachineName) => `${prefix}-${name}`;
  const iamArn = (resource: string) => `arn:${partition}:iam::${account}:${resource}`;
  return {
    app,
    stage,
    region,
    account,
    partition,
    prefix,
    retained: RETAINED_STAGES.has(stage),
    arn,
    regionalArn: (service, at, resource) => `arn:${partition}:${service}:${at}:${account}:${resource}`,
    lambdaArn: (nameOrArn) =>
      nameOrArn.startsWith("arn:") ? nameOrArn : arn("lambda", `function:${nameOrArn}`),
    // Secrets Manager appends six random characters to a secret's name in its ARN.
    secretArnOf: (id) => (id.startsWith("arn:") ? id : arn("secretsmanager", `secret:${id}-??????`)),
    policyArn: (name) => iamArn(`policy/${name}`),
    table: { name: tableName, arn: arn("dynamodb", `table/${tableName}`) },
    queue: {
      name: queueName,
      arn: arn("sqs", queueName),
      url: `https://sqs.${region}.${dnsSuffix}/${account}/${queueName}`,
    },
    webhookSecret: { name: secretName, arnPattern: arn("secretsmanager", `secret:${secretName}-??????`) },
    eventBusArn: arn("events", `event-bus/${DEFAULT_BUS}`),
    dashboardName: prefix,
    functionName,
    functionArn: (name) => arn("lambda", `function:${functionName(name)}`),
    stateMachineName,
    stateMachineArn: (name) => arn("states", `stateMachine:${stateMachineName(name)}`),
    executionsArn: (name) => arn("states", `execution:${stateMachineName(name)}:*`),
    stateMachineRole: (name) => ({
      name: `${stateMachineName(name)}-states`,
      arn: iamArn(`role/${stateMachineName(name)}-states`),
    }),
    stateMachineLogGroup: (name) => {
      const logGroup = `/aws/vendedlogs/states/${stateMachineName(name)}`;
      return { name: logGroup, arn: arn("logs", `log-group:${logGroup}`) };
    },
    ruleName: (name) => `${prefix}-${name}`,
    ruleArn: (name) => arn("events", `rule/${prefix}-${name}`),
    alarmName: (what) => `${prefix}-${what}`,
  };
}
