import type { Config } from "../../packages/core/src/config/index.ts";
import { prepareConfig } from "../../packages/core/src/config/prepared.ts";
import { ENV, type FunctionEnv } from "../../packages/core/src/context.ts";
import { LAMBDA_VPC_ACCESS, type RotationVpc } from "../../packages/core/src/secrets/config.ts";
import { type FunctionName, functions, rules } from "../../packages/core/src/wiring.ts";
import {
  type ManagedPolicyPlan,
  ROLE_INLINE_POLICY_LIMIT,
  rolePolicies,
  SST_INLINE_HEADROOM,
  type Statement,
  statementsFor,
} from "./iam.ts";
import { DEFAULT_BUS, type Names } from "./names.ts";
import { type SecretKey, withSecretKeyGrants } from "./secret-keys.ts";

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
  /**
   * The private subnets and security groups the function runs in (Switchyard's rotation function,
   * config `rotation.vpc`), and the AWS managed policy SST attaches to its role for that (SST 4.17
   * function.ts: AWSLambdaVPCAccessExecutionRole), with the statement AWS publishes for it.
   */
  vpc?: RotationVpc & { rolePolicy: { arn: string; statements: Statement[] } };
}

/** What plans a function into a VPC: the config's `rotation.vpc` for Switchyard's rotation function. */
const VPC_OF: Partial<Record<FunctionName, (config: Pick<Config, "rotation">) => RotationVpc | undefined>> = {
  rotate: (config) => config.rotation.vpc,
};

/** Where each function's bundle carries the config, from LAMBDA_TASK_ROOT. */
const CONFIG_FILE = "switchyard.config.json";
/** Lambda's asynchronous retries (its default, made explicit) before the event goes to the DLQ. */
const ASYNC_RETRIES = 2;

const WEBHOOK_URL_WHY =
  "GitHub cannot sign requests with AWS SigV4, so the URL is public; the function verifies GitHub's " +
  "X-Hub-Signature-256 HMAC against the webhook secret before it reads or forwards anything";

/**
 * Each function of core's wiring, named, sized, granted and configured for this stack. `config`
 * is the parsed config: the functions get it prepared (config/prepared.ts), read without zod.
 */
export function planFunctions(
  n: Names,
  config: Config,
  resources: Parameters<typeof statementsFor>[0],
  extras: { secretKeys?: readonly SecretKey[] } = {},
): FunctionPlan[] {
  const secretKeys = extras.secretKeys ?? [];
  const vpcOf = (name: FunctionName) => VPC_OF[name]?.(config);
  const statements = statementsFor(resources);
  /** The value of each variable a function's spec may list (`FunctionSpec.env`, declared in core's units). */
  const values: Record<FunctionEnv, string> = {
    [ENV.configFile]: CONFIG_FILE,
    [ENV.table]: n.table.name,
    [ENV.dlq]: n.queue.url,
    [ENV.logLevel]: "INFO",
    [ENV.deployStateMachine]: n.stateMachineArn("deploy"),
    [ENV.costStateMachine]: n.stateMachineArn("cost-response"),
    [ENV.rotateOnLeakStateMachine]: n.stateMachineArn("rotate-on-leak"),
    [ENV.failoverStateMachine]: n.stateMachineArn("failover"),
    [ENV.failbackStateMachine]: n.stateMachineArn("failback"),
    [ENV.webhookSecretId]: n.webhookSecret.name,
    [ENV.bus]: DEFAULT_BUS,
  };
  const ruleTargets = new Set(rules.map((r) => r.target));
  const configFile: BundledFile = { path: CONFIG_FILE, contents: prepareConfig(config) };
  return functions.map(
    (spec): FunctionPlan => ({
      name: spec.name,
      functionName: n.functionName(spec.name),
      arn: n.functionArn(spec.name),
      handler: spec.handler,
      description: spec.description,
      runtime: "nodejs22.x",
      architecture: "arm64",
      memoryMB: spec.memoryMB,
      timeoutSeconds: spec.timeoutSeconds,
      environment: Object.fromEntries(spec.env.map((name) => [name, values[name]])),
      ...rolePolicies(
        n,
        n.functionName(spec.name),
        withSecretKeyGrants(statements(spec.permissions), secretKeys),
        ROLE_INLINE_POLICY_LIMIT - SST_INLINE_HEADROOM,
      ),
      files: spec.env.includes(ENV.configFile) ? [configFile] : [],
      ...(spec.url ? { url: { authorization: "none" as const, why: WEBHOOK_URL_WHY } } : {}),
      ...(ruleTargets.has(spec.name)
        ? { asyncFailure: { retries: ASYNC_RETRIES, destinationArn: n.queue.arn } }
        : {}),
      ...withVpc(n, vpcOf(spec.name)),
    }),
  );
}

function withVpc(n: Names, vpc: RotationVpc | undefined): Pick<FunctionPlan, "vpc"> {
  if (!vpc) return {};
  return {
    vpc: {
      subnetIds: [...vpc.subnetIds],
      securityGroupIds: [...vpc.securityGroupIds],
      rolePolicy: {
        arn: `arn:${n.partition}:iam::aws:policy/${LAMBDA_VPC_ACCESS.policy}`,
        statements: [{ actions: [...LAMBDA_VPC_ACCESS.actions], resources: ["*"] }],
      },
    },
  };
}

/** The variable that names the bundled config file (quoted in the checks' messages). */
export const CONFIG_FILE_VARIABLE = ENV.configFile;
