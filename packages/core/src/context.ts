import type { AwsClients } from "./aws/clients.ts";
import type { Config } from "./config/index.ts";
import type { StateStore } from "./store/state.ts";
import { stateTable } from "./store/table.ts";

/**
 * The environment variables Switchyard's functions read. The wiring declares which ones each
 * function gets (`FunctionSpec.env`), the stack sets them from that list, and the functions'
 * runtime reads them once per container: their names live here, in one place.
 */
export const ENV = {
  table: stateTable.envVar,
  /** The prepared config's file (config/prepared.ts), from LAMBDA_TASK_ROOT (or the working directory): the stack bundles it. */
  configFile: "SWITCHYARD_CONFIG_FILE",
  /** A prepared config's text, for small configs and runs by hand; read only when no file is named. */
  config: "SWITCHYARD_CONFIG",
  dlq: "SWITCHYARD_DLQ_URL",
  /** Read by the one logger (observability/logger.ts); POWERTOOLS_LOG_LEVEL wins over it. */
  logLevel: "SWITCHYARD_LOG_LEVEL",
  deployStateMachine: "SWITCHYARD_DEPLOY_STATE_MACHINE_ARN",
  costStateMachine: "SWITCHYARD_COST_STATE_MACHINE_ARN",
  rotateOnLeakStateMachine: "SWITCHYARD_ROTATE_ON_LEAK_STATE_MACHINE_ARN",
  failoverStateMachine: "SWITCHYARD_FAILOVER_STATE_MACHINE_ARN",
  failbackStateMachine: "SWITCHYARD_FAILBACK_STATE_MACHINE_ARN",
  /** The GitHub webhook receiver's settings (`SettingsEnv` in github/receiver.ts). */
  webhookSecretId: "SWITCHYARD_WEBHOOK_SECRET_ID",
  bus: "SWITCHYARD_BUS",
} as const;

export type EnvVar = (typeof ENV)[keyof typeof ENV];
/** What a stack sets: SWITCHYARD_CONFIG (the config inline) is for small configs and runs by hand. */
export type FunctionEnv = Exclude<EnvVar, typeof ENV.config>;

/** Every state machine's ARN, by the context field that carries it, and the variable it is read from. */
export const STATE_MACHINE_ENV = {
  deployStateMachineArn: ENV.deployStateMachine,
  costStateMachineArn: ENV.costStateMachine,
  rotateOnLeakStateMachineArn: ENV.rotateOnLeakStateMachine,
  failoverStateMachineArn: ENV.failoverStateMachine,
  failbackStateMachineArn: ENV.failbackStateMachine,
} as const;

/**
 * What the functions' context reads (`environmentContext` in packages/functions): the config, the
 * table, the dead-letter queue, the log level and every state machine's ARN.
 */
export const CONTEXT_ENV: readonly FunctionEnv[] = [
  ENV.configFile,
  ENV.table,
  ENV.dlq,
  ENV.logLevel,
  ...Object.values(STATE_MACHINE_ENV),
];

/** What core needs from its caller: clients, state, time. Created once per container. */
export interface CoreDeps {
  readonly clients: AwsClients;
  readonly store: StateStore;
  readonly now: () => Date;
}

/** The ARNs of Switchyard's state machines: every trigger may start or answer any of them. */
export type StateMachineArns = { readonly [K in keyof typeof STATE_MACHINE_ENV]: string };

/** Trigger-side reactions also need the config and where the workflows live. */
export interface TriggerDeps extends CoreDeps, StateMachineArns {
  readonly config: Config;
}

/** What a reaction did with one event: the replay report and the audit log read this. */
export interface ReactionResult {
  readonly reaction: string;
  /** started | duplicate | rolled-back | no-action | paused | stale | recorded | rejected ... */
  readonly outcome: string;
  readonly reason: string;
  readonly executions: string[];
  readonly subjects?: string[];
  /** The reasons of the rejected parts of one delivery of several (SNS records): each is dead-lettered. */
  readonly rejections?: readonly string[];
}

/** `result(outcome, reason, executions?, subjects?)`: the ReactionResult of one reaction. */
export const resultsOf =
  (reaction: string) =>
  (outcome: string, reason: string, executions: string[] = [], subjects: string[] = []): ReactionResult => ({
    reaction,
    outcome,
    reason,
    executions,
    subjects,
  });
