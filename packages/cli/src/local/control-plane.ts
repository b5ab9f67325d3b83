import { createAllClients } from "@switchyard/core/aws/all-clients";
import type { AnyClient, AwsClients } from "@switchyard/core/aws/clients";
import { type Config, parseConfig } from "@switchyard/core/config/index";
import { simulatedSecretValue } from "@switchyard/core/secrets/seed";
import type { StateStore } from "@switchyard/core/store/state";
import { functions, rules, stateMachines } from "@switchyard/core/wiring";
import { type FunctionContext, factories } from "@switchyard/functions";
import { make as makeWebhook } from "@switchyard/functions/github-webhook";
import type { BusEventOut, Delivery } from "@switchyard/sim";
import { type LocalDynamo, localCredentials, SimulatedAccount, startLocalDynamo } from "@switchyard/sim";
import type { Context, Handler } from "aws-lambda";

export const LOCAL_NAMES = {
  dlq: "switchyard-dead-letter",
  deployStateMachine: "switchyard-deploy",
  /** Beside the deploy machine, as in the stack (`<prefix>deploy` → `<prefix>cost-response`). */
  costStateMachine: "switchyard-cost-response",
  rotateOnLeakStateMachine: "switchyard-rotate-on-leak",
  failoverStateMachine: "switchyard-failover",
  failbackStateMachine: "switchyard-failback",
  functionPrefix: "switchyard-",
  webhookSecret: "switchyard/github-webhook-secret",
} as const;

export interface ControlPlane {
  readonly account: SimulatedAccount;
  readonly config: Config;
  readonly clients: AwsClients;
  readonly store: StateStore;
  readonly context: FunctionContext;
  readonly deployStateMachineArn: string;
  readonly dlqName: string;
  /** Delivers an event to the bus and waits until every reaction has run until it waits. */
  deliver(event: BusEventOut): Promise<Delivery>;
  /** Waits until nothing runs: every execution ended or waits on a timer or a task token. */
  settle(): Promise<void>;
  /** Runs timers out on the virtual clock until executions end or wait for a human. */
  runOut(options?: { maxAdvances?: number }): Promise<void>;
  aliases(): Record<string, { version: string; weights: Record<string, number> }>;
  close(): Promise<void>;
}

export interface ControlPlaneOptions {
  /** Starts the virtual clock here (ms since epoch); the default is a fixed instant. */
  start?: number;
  /** Extra alarms to create (in OK) beside the ones the config references. */
  alarms?: string[];
  /** The GitHub webhook secret the simulated Secrets Manager holds. */
  webhookSecret?: string;
  /** Initial values of secrets (by secret id) to create in the simulated Secrets Manager, e.g. the config's secrets[]. */
  secretValues?: Record<string, string>;
  /** Gives each configured secret still without a value a generated one of its rotator's shape (`switchyard status`). */
  generateSecretValues?: boolean;
  /** Another plug-in beneath every client, after the simulated account (a dry run). */
  attach?: (client: AnyClient) => void;
}

/**
 * The local control plane: the simulated account, dynalite for the state table, Switchyard's
 * functions registered as in-process Lambda handlers, the bus rules and state machines from
 * core's wiring, and the account seeded from the config (each deployment's function with
 * version 1 and its alias on 1; every referenced alarm in OK).
 */
export async function startControlPlane(
  configInput: Config | unknown,
  options: ControlPlaneOptions = {},
): Promise<ControlPlane> {
  const config = isConfig(configInput) ? configInput : parseConfig(configInput);
  const account = new SimulatedAccount({
    region: config.region,
    accountId: config.account,
    ...(options.start ? { start: options.start } : {}),
  });
  const dynamo: LocalDynamo = await startLocalDynamo();
  const clients = createAllClients({
    region: config.region,
    credentials: localCredentials,
    dynamodbEndpoint: dynamo.endpoint,
    attach: (client, service) => {
      // The state table's client talks to dynalite in this process, not over loopback HTTP.
      if (service === "dynamodb") client.config.requestHandler = dynamo.requestHandler;
      account.attach(client);
      options.attach?.(client);
    },
  });
  const store: StateStore = {
    db: clients.dynamodb,
    table: dynamo.tableName,
    now: () => account.clock.date(),
  };
  const fnName = (name: string) => `${LOCAL_NAMES.functionPrefix}${name}`;
  const deployStateMachineArn = account.arn("states", `stateMachine:${LOCAL_NAMES.deployStateMachine}`);
  const dlqUrl = account.sqs.createQueue(LOCAL_NAMES.dlq);
  if (config.notifications.topicArn) account.sns.createTopic(config.notifications.topicArn);
  const context: FunctionContext = {
    clients,
    config,
    store,
    now: () => account.clock.date(),
    deployStateMachineArn,
    dlqUrl,
  };
  const webhookSecretId = LOCAL_NAMES.webhookSecret;
  account.secrets.seedSecret(webhookSecretId, options.webhookSecret ?? "switchyard-local-webhook-secret");
  const webhook = makeWebhook(() => ({
    clients,
    settings: { secretId: webhookSecretId, tableName: dynamo.tableName, busName: "default" },
    now: () => account.clock.now(),
  }));
  for (const spec of functions) {
    const handler = spec.name === "github-webhook" ? webhook : factories[spec.name](() => context);
    account.lambda.registerHandler(fnName(spec.name), async (event, ctx) =>
      (handler as Handler)(event, ctx as unknown as Context, () => undefined),
    );
  }
  for (const machine of stateMachines) {
    account.sfn.createStateMachine(
      machine.name === "failback"
        ? LOCAL_NAMES.failbackStateMachine
        : machine.name === "failover"
          ? LOCAL_NAMES.failoverStateMachine
          : machine.name === "rotate-on-leak"
            ? LOCAL_NAMES.rotateOnLeakStateMachine
            : machine.name === "cost-response"
              ? LOCAL_NAMES.costStateMachine
              : LOCAL_NAMES.deployStateMachine,
      machine.definition({
        deployStepsFunction: account.lambda.functionArn(fnName("deploy-steps")),
        costStepsFunction: account.lambda.functionArn(fnName("cost-steps")),
        secretLeakStepsFunction: account.lambda.functionArn(fnName("secret-leak-steps")),
        failoverStepsFunction: account.lambda.functionArn(fnName("failover-steps")),
      }),
    );
  }
  for (const rule of rules) {
    account.events.addRule({
      name: rule.name,
      pattern: rule.pattern,
      targets: [{ Id: rule.target, Arn: account.lambda.functionArn(fnName(rule.target)) }],
    });
  }
  for (const d of config.deployments) {
    account.lambda.seedFunction({
      name: d.function.split(":").at(-1) ?? d.function,
      alias: d.alias,
      aliasVersion: "1",
      versions: 1,
    });
    for (const alarm of d.alarms) account.cloudwatch.seedAlarm(alarm, "OK");
  }
  for (const alarm of options.alarms ?? []) account.cloudwatch.seedAlarm(alarm, "OK");
  // The resources the cost policy names exist, untagged (scenarios and tests tag them).
  for (const action of config.cost.rules.flatMap((r) => r.tiers.flatMap((t) => t.actions))) {
    if (action.type === "cap-lambda-concurrency")
      for (const f of action.functions) account.lambda.tagFunction(f, {});
    if (action.type === "disable-schedules")
      for (const r of action.rules)
        if (!account.events.ruleState(r))
          account.events.addScheduledRule({ name: r, schedule: "rate(1 day)" });
  }
  for (const runbook of config.failover.runbooks) {
    for (const alarm of runbook.triggers.alarms) account.cloudwatch.seedAlarm(alarm, "OK");
    seedRunbookWorld(account, runbook);
  }
  for (const [secretId, value] of Object.entries(options.secretValues ?? {}))
    account.secrets.seedSecret(secretId, value);
  // Opt-in: callers that seed their own values after start would otherwise find them taken.
  if (options.generateSecretValues) {
    const seeded = new Set(account.secrets.list().flatMap((x) => [x.Name, x.ARN]));
    for (const s of config.secrets)
      if (!seeded.has(s.secretId) && !s.secretId.startsWith("arn:"))
        account.secrets.seedSecret(s.secretId, simulatedSecretValue(s));
  }
  // As the stack does: each configured secret rotates on its schedule with its rotation function.
  for (const s of config.secrets) {
    account.secrets.configureRotation(s.secretId, {
      lambdaArn: s.rotationFunction
        ? account.lambda.functionArn(s.rotationFunction.split(":").at(-1) ?? s.rotationFunction)
        : account.lambda.functionArn(fnName("rotate")),
      scheduleExpression: s.schedule,
    });
  }

  const settle = () => account.activity.idle();
  return {
    account,
    config,
    clients,
    store,
    context,
    deployStateMachineArn,
    dlqName: LOCAL_NAMES.dlq,
    async deliver(event) {
      const delivery = await account.activity.track(() => account.events.deliver(event));
      await settle();
      return delivery;
    },
    settle,
    async runOut({ maxAdvances = 10_000 } = {}) {
      await settle();
      for (let i = 0; i < maxAdvances && account.clock.advance(); i++) await settle();
    },
    aliases() {
      const out: Record<string, { version: string; weights: Record<string, number> }> = {};
      for (const d of config.deployments) {
        const state = account.lambda.aliasState(d.function, d.alias);
        if (state) out[`${d.function}:${d.alias}`] = state;
      }
      return out;
    },
    async close() {
      for (const execution of account.sfn.executions()) {
        if (execution.status === "RUNNING") {
          execution.controller.abort();
          execution.abort?.();
        }
      }
      for (const client of Object.values(clientsOf(clients))) client.destroy();
      await dynamo.close();
    },
  };
}

/** True for a config that `parseConfig` already normalised (each deployment has its traffic steps). */
export function isConfig(value: unknown): value is Config {
  return (
    typeof value === "object" &&
    value !== null &&
    "safety" in value &&
    Array.isArray((value as Config).deployments) &&
    (value as Config).deployments.every((d) => Array.isArray((d as { steps?: unknown }).steps))
  );
}

function clientsOf(clients: AwsClients): { destroy(): void }[] {
  return [clients.dynamodb];
}

/**
 * The two regions a runbook assumes, before any failover: the replica in the secondary region
 * replicating from the primary, the secondary's compute at rest, the parameter and the record on
 * the primary, the health check healthy. Names the config does not give are derived from it.
 */
function seedRunbookWorld(account: SimulatedAccount, runbook: Config["failover"]["runbooks"][number]): void {
  const { primaryRegion: primary, secondaryRegion: secondary } = runbook;
  if (runbook.database?.kind === "aurora-global")
    account.rds.seedGlobalCluster({
      id: runbook.database.globalClusterIdentifier,
      writer: { cluster: runbook.database.primaryCluster, region: primary },
      readers: [{ cluster: runbook.database.secondaryCluster, region: secondary, lagMs: 800 }],
    });
  else if (runbook.database) {
    const source = `${runbook.database.replica}-primary`;
    account.rds.seedInstance({ id: source, region: primary });
    account.rds.seedInstance({
      id: runbook.database.replica,
      region: secondary,
      source: `arn:aws:rds:${primary}:${account.accountId}:db:${source}`,
      lagSeconds: 2,
    });
  }
  const { lambda, ecs, autoScaling } = runbook.compute;
  if (lambda)
    account.lambda.seedFunction({
      name: lambda.function.split(":").at(-1) ?? lambda.function,
      alias: lambda.alias,
    });
  if (ecs)
    account.ecs.seedService({ cluster: ecs.cluster, service: ecs.service, region: secondary, desired: 1 });
  if (autoScaling)
    account.autoscaling.seedGroup({
      name: autoScaling.group,
      region: secondary,
      min: 0,
      max: autoScaling.desiredCapacity * 2,
      desired: 0,
    });
  if (runbook.configuration)
    account.ssm.seedParameter(runbook.configuration.parameter, `(the ${primary} value)`, secondary);
  if (runbook.dns) {
    const zoneName = runbook.dns.name.split(".").slice(-3).join(".");
    account.route53.seedZone(runbook.dns.hostedZoneId.replace(/^\/hostedzone\//, ""), zoneName, [
      {
        Name: runbook.dns.name,
        Type: runbook.dns.type,
        TTL: runbook.dns.ttl,
        ResourceRecords: [{ Value: runbook.dns.type === "CNAME" ? `${primary}.${zoneName}` : "192.0.2.10" }],
      },
    ]);
  }
  if (runbook.verify.healthCheckId) account.route53.seedHealthCheck(runbook.verify.healthCheckId, true);
}
