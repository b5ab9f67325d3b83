import { createAllClients } from "@switchyard/core/aws/all-clients";
import type { AnyClient, AwsClients } from "@switchyard/core/aws/clients";
import { type Config, parseConfig } from "@switchyard/core/config/index";
import { budgetAlarmDefinitions } from "@switchyard/core/deployments/slo";
import type { BusEvent } from "@switchyard/core/events/envelope";
import { simulatedSecretValue } from "@switchyard/core/secrets/seed";
import type { StateStore } from "@switchyard/core/store/state";
import {
  forwardingRules,
  functions,
  rulesFor,
  type StateMachineName,
  stateMachines,
} from "@switchyard/core/wiring";
import { type FunctionContext, factories } from "@switchyard/functions";
import { make as makeWebhook } from "@switchyard/functions/github-webhook";
import type { BusEventOut, Delivery, Role } from "@switchyard/sim";
import { type LocalDynamo, localCredentials, SimulatedAccount, startLocalDynamo } from "@switchyard/sim";
import type { Context, Handler } from "aws-lambda";
import { type FunctionPlan, planFunctions } from "../../../../stacks/plan/functions.ts";
import { planStateMachines, type StateMachinePlan } from "../../../../stacks/plan/machines.ts";
import { type Names, names } from "../../../../stacks/plan/names.ts";
import { resolveResources } from "../../../../stacks/plan/resources.ts";
import { secretKeys } from "../../../../stacks/plan/secret-keys.ts";
import type { Statement } from "../../../../stacks/plan.ts";

export const LOCAL_NAMES = {
  dlq: "switchyard-dead-letter",
  deployStateMachine: "switchyard-deploy",
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
  /**
   * Delivers an EventBridge event to the bus and waits until every reaction has run until it
   * waits. Envelope fields the event leaves out are filled in as EventBridge does on PutEvents.
   */
  deliver(event: BusEvent): Promise<Delivery>;
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
  /**
   * Turns IAM enforcement off, saying why. By default every call a function or a state machine
   * makes is authorized against the role the stack plan gives it, as AWS authorizes it.
   */
  iamOff?: { why: string };
}

/**
 * The stage the local control plane plans the stack in, to take each role's policy from the
 * plan `stacks/` deploys. Only the names of Switchyard's own resources differ from the local
 * ones (`LOCAL_NAMES`); `localRoles` renames them.
 */
const LOCAL_STAGE = "local";

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
      if (service === "dynamodb") dynamo.plugIn(client as Parameters<LocalDynamo["plugIn"]>[0]);
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
  const machineNames: Record<StateMachineName, string> = {
    deploy: LOCAL_NAMES.deployStateMachine,
    "cost-response": LOCAL_NAMES.costStateMachine,
    "rotate-on-leak": LOCAL_NAMES.rotateOnLeakStateMachine,
    failover: LOCAL_NAMES.failoverStateMachine,
    failback: LOCAL_NAMES.failbackStateMachine,
  };
  const machineArn = (name: StateMachineName) => account.arn("states", `stateMachine:${machineNames[name]}`);
  const deployStateMachineArn = machineArn("deploy");
  const dlqUrl = account.sqs.createQueue(LOCAL_NAMES.dlq);
  if (config.notifications.topicArn) account.sns.createTopic(config.notifications.topicArn);
  const context: FunctionContext = {
    clients,
    config,
    store,
    now: () => account.clock.date(),
    // Every state machine's ARN, as the stack gives them to the functions.
    deployStateMachineArn,
    costStateMachineArn: machineArn("cost-response"),
    rotateOnLeakStateMachineArn: machineArn("rotate-on-leak"),
    failoverStateMachineArn: machineArn("failover"),
    failbackStateMachineArn: machineArn("failback"),
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
      machineNames[machine.name],
      machine.definition({
        deployStepsFunction: account.lambda.functionArn(fnName("deploy-steps")),
        costStepsFunction: account.lambda.functionArn(fnName("cost-steps")),
        secretLeakStepsFunction: account.lambda.functionArn(fnName("secret-leak-steps")),
        failoverStepsFunction: account.lambda.functionArn(fnName("failover-steps")),
      }),
    );
  }
  for (const rule of rulesFor(config)) {
    account.events.addRule({
      name: rule.name,
      pattern: rule.pattern,
      targets: [{ Id: rule.target, Arn: account.lambda.functionArn(fnName(rule.target)) }],
    });
  }
  // AWS Health events of the runbooks' other regions: forwarded to the stack's bus, as planned.
  for (const { region, rule } of forwardingRules(config)) {
    account.events.addRule({
      name: `${rule.name}-${region}`,
      region,
      pattern: rule.pattern,
      targets: [{ Id: "stack-bus", Arn: account.arn("events", "event-bus/default") }],
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
    // The error budget's burn-rate alarms, as the stack plans them (deployments/slo.ts).
    for (const alarm of budgetAlarmDefinitions(d)) account.cloudwatch.seedMetricMathAlarm(alarm);
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
    for (const alarm of runbook.triggers.alarms) {
      // A trigger alarm of another region is named by its ARN.
      const arn = /^arn:[^:]+:cloudwatch:([^:]+):\d{12}:alarm:(.+)$/.exec(alarm);
      if (arn?.[1] && arn[2]) account.cloudwatch.seedAlarm(arn[2], "OK", { region: arn[1] });
      else account.cloudwatch.seedAlarm(alarm, "OK");
    }
    seedRunbookWorld(account, runbook);
  }
  // A secret's customer managed key exists where the config names it, and protects the secret.
  const keyOf = (secretId: string) => {
    const kmsKeyId = config.secrets.find((s) => s.secretId === secretId)?.kmsKeyId;
    if (kmsKeyId) account.kms.seedFromArn(kmsKeyId);
    return kmsKeyId ? { kmsKeyId } : {};
  };
  for (const [secretId, value] of Object.entries(options.secretValues ?? {}))
    account.secrets.seedSecret(secretId, value, keyOf(secretId));
  // Opt-in: callers that seed their own values after start would otherwise find them taken.
  if (options.generateSecretValues) {
    const seeded = new Set(account.secrets.list().flatMap((x) => [x.Name, x.ARN]));
    for (const s of config.secrets)
      if (!seeded.has(s.secretId) && !s.secretId.startsWith("arn:"))
        account.secrets.seedSecret(s.secretId, simulatedSecretValue(s), keyOf(s.secretId));
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

  const plan = planRoles(config);
  // As the stack configures each function a rule invokes (stacks/switchyard.ts: SST's `retries` and
  // `transform.eventInvokeConfig`): Lambda's retries of a failed asynchronous invocation, then an
  // invocation record to the dead-letter queue. A rejected event the function's own code
  // dead-letters (without throwing) is a message of its own: both reach the same queue.
  // https://docs.aws.amazon.com/lambda/latest/api/API_PutFunctionEventInvokeConfig.html
  for (const f of plan.functions)
    if (f.asyncFailure)
      account.lambda.handle("PutFunctionEventInvokeConfig", {
        FunctionName: fnName(f.name),
        MaximumRetryAttempts: f.asyncFailure.retries,
        DestinationConfig: {
          OnFailure: {
            Destination:
              f.asyncFailure.destinationArn === plan.names.queue.arn
                ? account.arn("sqs", LOCAL_NAMES.dlq)
                : f.asyncFailure.destinationArn,
          },
        },
      });
  if (!options.iamOff)
    account.enforce(
      localRoles(plan, {
        functionArn: (name) => account.lambda.functionArn(fnName(name)),
        functionName: fnName,
        stateMachineName: (name) => machineNames[name],
        tableArn: account.arn("dynamodb", `table/${dynamo.tableName}`),
        queueArn: account.arn("sqs", LOCAL_NAMES.dlq),
        webhookSecretArnPattern: account.arn("secretsmanager", `secret:${webhookSecretId}-??????`),
      }),
    );
  // As the stack deploys it: the rotation function in the config's VPC, which Lambda accepts only
  // when the function's role may manage its network interfaces.
  const vpc = config.rotation.vpc;
  if (vpc)
    account.lambda.configureVpc(fnName("rotate"), {
      roleArn: `arn:${account.partition}:iam::${account.accountId}:role/${fnName("rotate")}-role`,
      ...vpc,
    });

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
      const complete: BusEventOut = {
        version: "0",
        account: account.accountId,
        region: account.region,
        time: account.clock.iso().replace(/\.\d{3}Z$/, "Z"),
        resources: [],
        ...event,
      };
      const delivery = await account.activity.track(() => account.events.deliver(complete));
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

/**
 * The roles of the stack plan for `config` in the local stage: its names, and its functions and
 * state machines with their policies, drawn up by the very parts `planStack` uses (the
 * config here is already parsed, which `planStack` would parse again).
 */
function planRoles(config: Config): RolesPlan {
  const n = names(config, LOCAL_STAGE);
  const resources = resolveResources(config, n);
  const keys = secretKeys(config, n);
  return {
    names: n,
    functions: planFunctions(n, config, resources, { secretKeys: keys }),
    stateMachines: planStateMachines(n, resources, keys),
  };
}

interface RolesPlan {
  names: Names;
  functions: FunctionPlan[];
  stateMachines: StateMachinePlan[];
}

/** The local names of what the stack plan names for its stage. */
interface LocalNames {
  functionArn(name: FunctionPlan["name"]): string;
  functionName(name: string): string;
  stateMachineName(name: StateMachineName): string;
  tableArn: string;
  queueArn: string;
  webhookSecretArnPattern: string;
}

/**
 * Each function's and state machine's role as the stack plan grants it (inline and managed
 * policies), keyed by the principal the simulated account runs it as, with the plan's ARNs of
 * Switchyard's own resources renamed to the local ones. What the config names (managed functions,
 * alarms, secrets, runbook resources) keeps the plan's ARN.
 */
function localRoles(plan: RolesPlan, local: LocalNames): Map<string, Role> {
  const renames: [from: string, to: string][] = [
    [plan.names.table.arn, local.tableArn],
    [plan.names.queue.arn, local.queueArn],
    [plan.names.webhookSecret.arnPattern, local.webhookSecretArnPattern],
    ...plan.functions.map((f): [string, string] => [f.arn, local.functionArn(f.name)]),
    ...plan.stateMachines.flatMap((m): [string, string][] => {
      const name = local.stateMachineName(m.name);
      const executions = (arn: string) => arn.replace(/:stateMachine:[^:]+$/, ":execution:");
      return [
        [m.arn, m.arn.replace(/[^:]+$/, name)],
        [`${executions(m.arn)}${m.stateMachineName}`, `${executions(m.arn)}${name}`],
      ];
    }),
  ];
  const rename = (arn: string) => {
    for (const [from, to] of renames)
      if (arn === from || arn.startsWith(`${from}:`) || arn.startsWith(`${from}/`))
        return `${to}${arn.slice(from.length)}`;
    return arn;
  };
  const statements = (inline: Statement[], managed: { statements: Statement[] }[]) =>
    [...inline, ...managed.flatMap((p) => p.statements)].map((s) => ({
      effect: "Allow" as const,
      actions: s.actions,
      resources: s.resources.map(rename),
      ...(s.conditions ? { conditions: s.conditions } : {}),
    }));
  const roles = new Map<string, Role>();
  for (const f of plan.functions) {
    const name = local.functionName(f.name);
    roles.set(name, {
      roleName: `${name}-role`,
      sessionName: name,
      statements: statements(f.permissions, [...f.managedPolicies, ...(f.vpc ? [f.vpc.rolePolicy] : [])]),
    });
  }
  for (const m of plan.stateMachines) {
    const name = local.stateMachineName(m.name);
    roles.set(`states:${name}`, {
      roleName: `${name}-states`,
      sessionName: name,
      statements: statements(m.role.permissions, m.role.managedPolicies),
    });
  }
  return roles;
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
      region: lambda.function.startsWith("arn:") ? (lambda.function.split(":")[3] ?? secondary) : secondary,
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
