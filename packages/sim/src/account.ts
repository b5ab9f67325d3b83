import { AsyncLocalStorage } from "node:async_hooks";
import { randomUUID } from "node:crypto";
import type { AnyClient } from "@switchyard/core/aws/clients";
import { Activity, VirtualClock } from "./clock.ts";
import { DYNAMODB_ITEM_OPERATIONS } from "./dynamodb-operations.ts";
import { awsError, SimError } from "./errors.ts";
import { accessDeniedMessage, evaluate, type RequestContext, type Role } from "./iam.ts";
import type { Caller, Kernel, ServiceModel } from "./kernel.ts";
import { AutoScalingService } from "./services/autoscaling.ts";
import { CloudWatchService } from "./services/cloudwatch.ts";
import { Ec2Service } from "./services/ec2.ts";
import { EcrService } from "./services/ecr.ts";
import { EcsService } from "./services/ecs.ts";
import { EventBridgeService } from "./services/eventbridge.ts";
import { KmsService } from "./services/kms.ts";
import { LambdaService } from "./services/lambda.ts";
import { RdsService } from "./services/rds.ts";
import { Route53Service } from "./services/route53.ts";
import { SecretsManagerService } from "./services/secretsmanager.ts";
import { SfnService } from "./services/sfn.ts";
import { SnsService } from "./services/sns.ts";
import { SqsService } from "./services/sqs.ts";
import { SsmService } from "./services/ssm.ts";

export interface CallRecord {
  readonly seq: number;
  readonly at: string;
  /** IAM service prefix: lambda, states, events, cloudwatch, ecr, sqs, sns, secretsmanager, dynamodb. */
  readonly service: string;
  /** IAM action name, e.g. UpdateAlias, InvokeFunction. */
  readonly action: string;
  readonly input: unknown;
  /** The region the call was answered in (its client's). */
  readonly region: string;
  readonly principal: string;
  readonly eventId?: string;
  readonly error?: string;
}

export interface Fault {
  readonly service: string;
  readonly action: string;
  /** Exception name as AWS sends it, e.g. TooManyRequestsException, ServiceException. */
  readonly error: string;
  readonly message?: string;
  /** How many matching calls fail; afterwards calls pass. Default 1. */
  times?: number;
  readonly when?: (input: Record<string, unknown>) => boolean;
}

/** SDK client name → IAM service prefix. */
const CLIENT_SERVICES: Record<string, string> = {
  LambdaClient: "lambda",
  SFNClient: "states",
  EventBridgeClient: "events",
  CloudWatchClient: "cloudwatch",
  ECRClient: "ecr",
  SQSClient: "sqs",
  SNSClient: "sns",
  SecretsManagerClient: "secretsmanager",
  DynamoDBClient: "dynamodb",
  DynamoDBDocumentClient: "dynamodb",
  RDSClient: "rds",
  Route53Client: "route53",
  SSMClient: "ssm",
  ECSClient: "ecs",
  AutoScalingClient: "autoscaling",
  EC2Client: "ec2",
};

/** SDK command names whose IAM action has another name. */
const ACTION_NAMES: Record<string, string> = { "lambda:Invoke": "InvokeFunction" };

const DYNAMODB_ACTIONS = new Set<string>([
  ...DYNAMODB_ITEM_OPERATIONS,
  "TransactWriteItems",
  "TransactGetItems",
  "CreateTable",
  "DescribeTable",
]);

export interface AccountOptions {
  region?: string;
  accountId?: string;
  start?: number;
}

/**
 * An AWS account in memory. It plugs in beneath AWS SDK v3 clients as an `initialize`-step
 * middleware, so production code sends real SDK commands and gets answers with AWS's
 * semantics (immutable versions, RevisionId preconditions, ClientRequestToken idempotency,
 * execution-name idempotency) — or the exceptions AWS would throw. DynamoDB is not simulated:
 * it passes through to dynalite, a real implementation of the DynamoDB API, and is recorded.
 */
export class SimulatedAccount {
  readonly partition = "aws";
  readonly region: string;
  readonly accountId: string;
  readonly activity = new Activity();
  readonly clock: VirtualClock;
  readonly calls: CallRecord[] = [];
  readonly lambda: LambdaService;
  readonly cloudwatch: CloudWatchService;
  readonly events: EventBridgeService;
  readonly sfn: SfnService;
  readonly ecr: EcrService;
  readonly sqs: SqsService;
  readonly sns: SnsService;
  readonly secrets: SecretsManagerService;
  readonly rds: RdsService;
  readonly route53: Route53Service;
  readonly ssm: SsmService;
  readonly ecs: EcsService;
  readonly autoscaling: AutoScalingService;
  readonly ec2: Ec2Service;
  readonly kms: KmsService;
  readonly #caller = new AsyncLocalStorage<Caller>();
  /** The region of the client whose call is being answered (see `Kernel.clientRegion`). */
  readonly #clientRegion = new AsyncLocalStorage<string>();
  readonly #faults: Fault[] = [];
  readonly #callListeners: ((call: CallRecord) => void)[] = [];
  readonly #services: Record<string, ServiceModel>;
  /** Each principal's role while IAM is enforced (`enforce`); undefined: nothing is authorized. */
  #roles: ReadonlyMap<string, Role> | undefined;
  #seq = 0;

  constructor(options: AccountOptions = {}) {
    this.region = options.region ?? "us-east-1";
    this.accountId = options.accountId ?? "123456789012";
    this.clock = new VirtualClock(this.activity, options.start);
    const kernel = this.#kernel();
    // CloudWatch comes before the services that register metric sources with it (RDS).
    this.cloudwatch = new CloudWatchService(kernel);
    this.lambda = new LambdaService(kernel);
    this.events = new EventBridgeService(kernel);
    this.sfn = new SfnService(kernel);
    this.ecr = new EcrService(kernel);
    this.sqs = new SqsService(kernel);
    this.sns = new SnsService(kernel);
    this.secrets = new SecretsManagerService(kernel);
    this.rds = new RdsService(kernel);
    this.route53 = new Route53Service(kernel);
    this.ssm = new SsmService(kernel);
    this.ecs = new EcsService(kernel);
    this.autoscaling = new AutoScalingService(kernel);
    this.ec2 = new Ec2Service(kernel);
    this.kms = new KmsService(kernel);
    this.#services = {
      lambda: this.lambda,
      cloudwatch: this.cloudwatch,
      events: this.events,
      states: this.sfn,
      ecr: this.ecr,
      sqs: this.sqs,
      sns: this.sns,
      secretsmanager: this.secrets,
      // Reached through Step Functions' AWS SDK integrations (aws-sdk:rds:..., aws-sdk:route53:...).
      rds: this.rds,
      route53: this.route53,
      ssm: this.ssm,
      ecs: this.ecs,
      autoscaling: this.autoscaling,
      ec2: this.ec2,
      // No KMS client is installed: Secrets Manager reaches KMS through the kernel (resolveKey).
      kms: this.kms,
    };
  }

  /** What the services see of the account: everything they may use, and nothing else. */
  #kernel(): Kernel {
    return {
      partition: this.partition,
      accountId: this.accountId,
      region: this.region,
      clock: this.clock,
      activity: this.activity,
      clientRegion: () => this.clientRegion(),
      inRegion: (region, fn) => this.inRegion(region, fn),
      arn: (service, resource, region) => this.arn(service, resource, region),
      queueUrl: (name, region = this.region) =>
        `https://sqs.${region}.amazonaws.com/${this.accountId}/${name}`,
      newId: () => this.newId(),
      caller: () => this.caller(),
      runAs: (caller, fn) => this.runAs(caller, fn),
      call: (service, action, input) => this.call(service, action, input),
      recordCall: (service, action, input) => this.recordCall(service, action, input),
      authorize: (action, resources, context) => {
        const denied = this.#denied(action, resources, context);
        if (denied) throw new SimError("AccessDeniedException", denied);
      },
      emit: (event) => this.events.emit(event),
      invoke: (functionName, payload, caller) => this.lambda.invoke(functionName, payload, caller),
      invokeAsync: (functionName, payload, caller, onStep) =>
        this.lambda.invokeAsync(functionName, payload, caller, onStep),
      roleDenies: (roleArn, action, resource) => this.#roleDenies(roleArn, action, resource),
      resolveImage: (uri) => this.ecr.resolveImageUri(uri),
      resolveKey: (id) => this.kms.resolve(id),
      registerMetricSource: (source) => this.cloudwatch.registerMetricSource(source),
    };
  }

  /** An ARN in this account; `region` defaults to the account's, "" for global resources (IAM). */
  arn(service: string, resource: string, region: string = this.region): string {
    return `arn:${this.partition}:${service}:${region}:${this.accountId}:${resource}`;
  }

  newId(): string {
    return randomUUID();
  }

  /** The caller of the code running now (set by Lambda invocations and executions). */
  caller(): Caller {
    return this.#caller.getStore() ?? { principal: "operator" };
  }

  /**
   * The region of the client whose call is being answered now, inherited by the work that call
   * causes (deliveries, executions, invocations); the account's region outside any call.
   */
  clientRegion(): string {
    return this.#clientRegion.getStore() ?? this.region;
  }

  /** Runs `fn` as work in `region` (see `Kernel.inRegion`). */
  inRegion<T>(region: string, fn: () => T): T {
    return this.#clientRegion.run(region, fn);
  }

  runAs<T>(caller: Caller, fn: () => T): T {
    return this.#caller.run(caller, fn);
  }

  /** Called for every call recorded (live timelines). */
  onCall(listener: (call: CallRecord) => void): void {
    this.#callListeners.push(listener);
  }

  /**
   * Enforces IAM from now on: every call a principal in `roles` makes (a function, a state
   * machine) is authorized against its role's policy, and denied with AccessDeniedException as
   * AWS denies it. Principals without a role (the operator, AWS services, rules) are not checked.
   */
  enforce(roles: ReadonlyMap<string, Role>): void {
    this.#roles = roles;
  }

  /** The role `principal` runs as while IAM is enforced. */
  roleOf(principal: string): Role | undefined {
    return this.#roles?.get(principal);
  }

  /** Makes the next matching call(s) fail with an AWS exception. */
  injectFault(fault: Fault): void {
    this.#faults.push({ times: 1, ...fault });
  }

  /** Calls recorded so far, optionally filtered. */
  callsOf(
    filter: { principal?: string; service?: string; action?: string; eventId?: string } = {},
  ): CallRecord[] {
    return this.calls.filter(
      (c) =>
        (filter.principal === undefined || c.principal === filter.principal) &&
        (filter.service === undefined || c.service === filter.service) &&
        (filter.action === undefined || c.action === filter.action) &&
        (filter.eventId === undefined || c.eventId === filter.eventId),
    );
  }

  /**
   * Records a call that a service makes on the caller's behalf without a request of its own
   * (Step Functions invoking a Lambda function), applying injected faults to it.
   */
  recordCall(service: string, action: string, input: Record<string, unknown>): void {
    const denied = this.#deniedCall(service, action, input);
    const fault = denied ? undefined : this.#takeFault(service, action, input);
    this.#record(service, action, input, denied ? "AccessDeniedException" : fault?.error);
    if (denied) throw awsError(service, "AccessDeniedException", denied);
    if (fault) throw awsError(service, fault.error, fault.message ?? `${fault.error} (injected)`);
  }

  /**
   * Answers one API call: records it, applies injected faults, dispatches to the service model.
   * `region` is the calling client's; by default the region of the call in progress (a target
   * an event delivery calls, a task an execution runs), else the account's.
   */
  async call(
    service: string,
    action: string,
    input: Record<string, unknown>,
    region: string = this.clientRegion(),
  ): Promise<Record<string, unknown>> {
    // IAM authorizes a request before the service acts on it: a denied call changes nothing.
    const denied = this.#clientRegion.run(region, () => this.#deniedCall(service, action, input));
    const fault = denied ? undefined : this.#takeFault(service, action, input);
    const record = this.#record(
      service,
      action,
      input,
      denied ? "AccessDeniedException" : fault?.error,
      region,
    );
    if (denied) throw awsError(service, "AccessDeniedException", denied);
    if (fault) throw awsError(service, fault.error, fault.message ?? `${fault.error} (injected)`);
    const model = this.#services[service];
    if (!model)
      throw awsError(service, "UnknownOperationException", `the simulated account has no ${service}`);
    try {
      const output = await this.#clientRegion.run(region, () => model.handle(action, input));
      return (output ?? {}) as Record<string, unknown>;
    } catch (error) {
      if (error instanceof SimError) {
        (record as { error?: string }).error = error.code;
        throw awsError(service, error.code, error.message);
      }
      throw error;
    }
  }

  /** Plugs the account in beneath an SDK v3 client. */
  attach(client: AnyClient): void {
    const stack = client.middlewareStack as unknown as {
      add(mw: unknown, options: { step: string; name: string; priority?: string }): void;
    };
    // The client's region, which the SDK resolves asynchronously: resolved once, here; a call
    // sent before it resolves waits for it. A client without a usable region gets the account's.
    const config = client.config as { region?: () => Promise<string> };
    let region: string | undefined;
    const resolving = (async () => {
      try {
        region = (await config.region?.()) || this.region;
      } catch {
        region = this.region;
      }
      return region;
    })();
    stack.add(
      (
        next: (args: { input: Record<string, unknown> }) => Promise<unknown>,
        context: Record<string, string>,
      ) =>
        async (args: { input: Record<string, unknown> }) => {
          const service = CLIENT_SERVICES[context.clientName ?? ""];
          const command = (context.commandName ?? "").replace(/Command$/, "");
          if (!service) throw new Error(`simulated account: unknown client ${context.clientName}`);
          const action = ACTION_NAMES[`${service}:${command}`] ?? command;
          if (service === "dynamodb") {
            if (!DYNAMODB_ACTIONS.has(action)) return next(args);
            const denied = this.#denied(`dynamodb:${action}`, this.#tableArns(args.input, region));
            const fault = denied ? undefined : this.#takeFault(service, action, args.input);
            this.#record(service, action, args.input, denied ? "AccessDeniedException" : fault?.error);
            if (denied) throw awsError(service, "AccessDeniedException", denied);
            if (fault) throw awsError(service, fault.error, fault.message ?? `${fault.error} (injected)`);
            return next(args);
          }
          const output = await this.call(service, action, args.input, region ?? (await resolving));
          return {
            output: { $metadata: { httpStatusCode: 200, requestId: this.newId() }, ...output },
            response: {},
          };
        },
      { step: "initialize", name: "switchyardSimulatedAccount", priority: "low" },
    );
  }

  /** Why IAM denies the caller this call (the AccessDeniedException message), or undefined. */
  #deniedCall(service: string, action: string, input: Record<string, unknown>): string | undefined {
    if (!this.#roles?.has(this.caller().principal)) return undefined;
    const resources = this.#services[service]?.resourceArns?.(action, input) ?? ["*"];
    return this.#denied(`${service}:${action}`, resources);
  }

  /** Why the caller's role may not do `action` on one of `resources`, or undefined when it may. */
  #denied(action: string, resources: readonly string[], context?: RequestContext): string | undefined {
    const role = this.#roles?.get(this.caller().principal);
    if (!role) return undefined;
    for (const resource of resources) {
      const request = { action, resource, ...(context ? { context } : {}) };
      const decision = evaluate(role.statements, request);
      if (decision !== "Allow")
        return accessDeniedMessage(this.partition, this.accountId, role, request, decision);
    }
    return undefined;
  }

  /** Why the role whose ARN is `roleArn` may not do `action` on `resource`; undefined for a role not enforced. */
  #roleDenies(roleArn: string, action: string, resource: string): string | undefined {
    const role = [...(this.#roles?.values() ?? [])].find(
      (r) => roleArn === `arn:${this.partition}:iam::${this.accountId}:role/${r.roleName}`,
    );
    if (!role) return undefined;
    const request = { action, resource };
    const decision = evaluate(role.statements, request);
    return decision === "Allow"
      ? undefined
      : accessDeniedMessage(this.partition, this.accountId, role, request, decision);
  }

  /**
   * The DynamoDB resources of a request: the table, or its index for a Query or Scan naming one
   * (Service Authorization Reference, Amazon DynamoDB: table and index resource types).
   */
  #tableArns(input: Record<string, unknown>, region = this.region): string[] {
    const table = (name: string) => this.arn("dynamodb", `table/${name}`, region);
    if (typeof input.TableName === "string")
      return [
        typeof input.IndexName === "string"
          ? `${table(input.TableName)}/index/${input.IndexName}`
          : table(input.TableName),
      ];
    const items = (input.RequestItems ?? {}) as Record<string, unknown>;
    const transact = ((input.TransactItems ?? []) as Record<string, { TableName?: string }>[]).flatMap(
      (item) => Object.values(item).flatMap((op) => (op?.TableName ? [op.TableName] : [])),
    );
    const names = [...new Set([...Object.keys(items), ...transact])];
    return names.length > 0 ? names.map(table) : ["*"];
  }

  #takeFault(service: string, action: string, input: Record<string, unknown>): Fault | undefined {
    const index = this.#faults.findIndex(
      (f) => f.service === service && f.action === action && (f.times ?? 1) > 0 && (!f.when || f.when(input)),
    );
    const fault = this.#faults[index];
    if (!fault) return undefined;
    fault.times = (fault.times ?? 1) - 1;
    if (fault.times <= 0) this.#faults.splice(index, 1);
    return fault;
  }

  #record(
    service: string,
    action: string,
    input: unknown,
    error?: string,
    region: string = this.clientRegion(),
  ): CallRecord {
    const caller = this.caller();
    const record: CallRecord = {
      seq: ++this.#seq,
      at: this.clock.iso(),
      service,
      action,
      input,
      region,
      principal: caller.principal,
      ...(caller.eventId ? { eventId: caller.eventId } : {}),
      ...(error ? { error } : {}),
    };
    this.calls.push(record);
    for (const listener of this.#callListeners) listener(record);
    return record;
  }
}
