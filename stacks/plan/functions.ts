import { stateTable } from "../../packages/core/src/store/table.ts";
import { type FunctionName, functions, rules } from "../../packages/core/src/wiring.ts";
import { COST_STATE_MACHINE_ENV } from "../../packages/functions/src/cost-intake.ts";
import { FAILOVER_STATE_MACHINE_ENV } from "../../packages/functions/src/failover-trigger.ts";
import { ENV } from "../../packages/functions/src/runtime.ts";
import { ROTATE_ON_LEAK_ENV } from "../../packages/functions/src/secret-leak.ts";
import {
  type ManagedPolicyPlan,
  ROLE_INLINE_POLICY_LIMIT,
  rolePolicies,
  SST_INLINE_HEADROOM,
  type Statement,
  statementsFor,
} from "./iam.ts";
import { DEFAULT_BUS, type Names } from "./names.ts";

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

/** Where each function's bundle carries the config, from LAMBDA_TASK_ROOT. */
const CONFIG_FILE = "switchyard.config.json";
/** Lambda's asynchronous retries (its default, made explicit) before the event goes to the DLQ. */
const ASYNC_RETRIES = 2;

/** The environment variables the GitHub receiver reads (`SettingsEnv` in core's github/receiver.ts). */
const WEBHOOK_SECRET_ID = "SWITCHYARD_WEBHOOK_SECRET_ID";
const WEBHOOK_BUS = "SWITCHYARD_BUS";

/** Read by core's one logger (observability/logger.ts) in every function; ahead of POWERTOOLS_LOG_LEVEL. */
const LOG_LEVEL = "SWITCHYARD_LOG_LEVEL";

/** SWITCHYARD_CONFIG (the config inline) is for small configs and runs by hand; the stack bundles a file. */
type Variable =
  | Exclude<(typeof ENV)[keyof typeof ENV], typeof ENV.config>
  | typeof WEBHOOK_SECRET_ID
  | typeof WEBHOOK_BUS
  | typeof LOG_LEVEL
  | typeof COST_STATE_MACHINE_ENV
  | typeof ROTATE_ON_LEAK_ENV
  | typeof FAILOVER_STATE_MACHINE_ENV;

/** Which variables each function's code reads: the runtime context, or the webhook receiver's settings. */
const READS: Record<FunctionName, readonly Variable[]> = {
  "deploy-trigger": [ENV.configFile, ENV.table, ENV.deployStateMachine, ENV.dlq, LOG_LEVEL],
  "scan-result": [ENV.configFile, ENV.table, ENV.deployStateMachine, ENV.dlq, LOG_LEVEL],
  rollback: [ENV.configFile, ENV.table, ENV.deployStateMachine, ENV.dlq, LOG_LEVEL],
  "deploy-steps": [ENV.configFile, ENV.table, ENV.deployStateMachine, ENV.dlq, LOG_LEVEL],
  "deploy-watch": [ENV.configFile, ENV.table, ENV.deployStateMachine, ENV.dlq, LOG_LEVEL],
  "github-webhook": [WEBHOOK_SECRET_ID, stateTable.envVar, WEBHOOK_BUS, LOG_LEVEL],
  "cost-intake": [
    ENV.configFile,
    ENV.table,
    ENV.deployStateMachine,
    COST_STATE_MACHINE_ENV,
    ENV.dlq,
    LOG_LEVEL,
  ],
  "cost-steps": [ENV.configFile, ENV.table, ENV.deployStateMachine, ENV.dlq, LOG_LEVEL],
  rotate: [ENV.configFile, ENV.table, ENV.deployStateMachine, ENV.dlq, LOG_LEVEL],
  "secret-leak": [ENV.configFile, ENV.table, ENV.deployStateMachine, ROTATE_ON_LEAK_ENV, ENV.dlq, LOG_LEVEL],
  "secret-leak-steps": [ENV.configFile, ENV.table, ENV.deployStateMachine, ENV.dlq, LOG_LEVEL],
  "secrets-stuck": [ENV.configFile, ENV.table, ENV.deployStateMachine, ENV.dlq, LOG_LEVEL],
  "failover-trigger": [
    ENV.configFile,
    ENV.table,
    ENV.deployStateMachine,
    FAILOVER_STATE_MACHINE_ENV,
    ENV.dlq,
    LOG_LEVEL,
  ],
  "failover-steps": [ENV.configFile, ENV.table, ENV.deployStateMachine, ENV.dlq, LOG_LEVEL],
};

const WEBHOOK_URL_WHY =
  "GitHub cannot sign requests with AWS SigV4, so the URL is public; the function verifies GitHub's " +
  "X-Hub-Signature-256 HMAC against the webhook secret before it reads or forwards anything";

/** Each function of core's wiring, named, sized, granted and configured for this stack. */
export function planFunctions(
  n: Names,
  input: unknown,
  resources: Parameters<typeof statementsFor>[0],
): FunctionPlan[] {
  const statements = statementsFor(resources);
  const values: Record<Variable, string> = {
    [ENV.configFile]: CONFIG_FILE,
    [ENV.table]: n.table.name,
    [ENV.deployStateMachine]: n.stateMachineArn("deploy"),
    [ENV.dlq]: n.queue.url,
    [WEBHOOK_SECRET_ID]: n.webhookSecret.name,
    [WEBHOOK_BUS]: DEFAULT_BUS,
    [LOG_LEVEL]: "INFO",
    [COST_STATE_MACHINE_ENV]: n.stateMachineArn("cost-response"),
    [ROTATE_ON_LEAK_ENV]: n.stateMachineArn("rotate-on-leak"),
    [FAILOVER_STATE_MACHINE_ENV]: n.stateMachineArn("failover"),
  };
  const ruleTargets = new Set(rules.map((r) => r.target));
  const configFile: BundledFile = { path: CONFIG_FILE, contents: JSON.stringify(input) };
  return functions.map((spec) => ({
    name: spec.name,
    functionName: n.functionName(spec.name),
    arn: n.functionArn(spec.name),
    handler: spec.handler,
    description: spec.description,
    runtime: "nodejs22.x",
    architecture: "arm64",
    memoryMB: spec.memoryMB,
    timeoutSeconds: spec.timeoutSeconds,
    environment: Object.fromEntries(READS[spec.name].map((name) => [name, values[name]])),
    ...rolePolicies(
      n,
      n.functionName(spec.name),
      statements(spec.permissions),
      ROLE_INLINE_POLICY_LIMIT - SST_INLINE_HEADROOM,
    ),
    files: READS[spec.name].includes(ENV.configFile) ? [configFile] : [],
    ...(spec.url ? { url: { authorization: "none" as const, why: WEBHOOK_URL_WHY } } : {}),
    ...(ruleTargets.has(spec.name)
      ? { asyncFailure: { retries: ASYNC_RETRIES, destinationArn: n.queue.arn } }
      : {}),
  }));
}

/** The variable that names the bundled config file (quoted in the checks' messages). */
export const CONFIG_FILE_VARIABLE = ENV.configFile;
