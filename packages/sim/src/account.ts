import { AsyncLocalStorage } from "node:async_hooks";
import { randomUUID } from "node:crypto";
import type { AnyClient } from "@switchyard/core/aws/clients";
import { Activity, VirtualClock } from "./clock.ts";
import { awsError, SimError } from "./errors.ts";
import { AutoScalingService } from "./services/autoscaling.ts";
import { CloudWatchService } from "./services/cloudwatch.ts";
import { Ec2Service } from "./services/ec2.ts";
import { EcrService } from "./services/ecr.ts";
import { EcsService } from "./services/ecs.ts";
import { EventBridgeService } from "./services/eventbridge.ts";
import { LambdaService } from "./services/lambda.ts";
import { RdsService } from "./services/rds.ts";
import { Route53Service } from "./services/route53.ts";
import { SecretsManagerService } from "./services/secretsmanager.ts";
import { SfnService } from "./services/sfn.ts";
import { SnsService } from "./services/sns.ts";
import { SqsService } from "./services/sqs.ts";
import { SsmService } from "./services/ssm.ts";

/** Who is calling: a function, a state machine, or the operator; and which event caused it. */
export interface Caller {
  readonly principal: string;
  readonly eventId?: string;
}

export interface CallRecord {
  readonly seq: number;
  readonly at: string;
  /** IAM service prefix: lambda, states, events, cloudwatch, ecr, sqs, sns, secretsmanager, dynamodb. */
  readonly service: string;
  /** IAM action name, e.g. UpdateAlias, InvokeFunction. */
  readonly action: string;
  readonly input: unknown;
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

export interface ServiceModel {
  handle(action: string, input: Record<string, unknown>): unknown;
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

const DYNAMODB_ACTIONS = new Set([
  "GetItem",
  "PutItem",
  "UpdateItem",
  "DeleteItem",
  "Query",
  "Scan",
  "BatchGetItem",
  "BatchWriteItem",
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
  readonly #caller = new AsyncLocalStorage<Caller>();
  readonly #faults: Fault[] = [];
  readonly #callListeners: ((call: CallRecord) => void)[] = [];
  readonly #services: Record<string, ServiceModel>;
  #seq = 0;

  constructor(options: AccountOptions = {}) {
    this.region = options.region ?? "us-east-1";
    this.accountId = options.accountId ?? "123456789012";
    this.clock = new VirtualClock(this.activity, options.start);
    this.lambda = new LambdaService(this);
    this.cloudwatch = new CloudWatchService(this);
    this.events = new EventBridgeService(this);
    this.sfn = new SfnService(this);
    this.ecr = new EcrService(this);
    this.sqs = new SqsService(this);
    this.sns = new SnsService(this);
    this.secrets = new SecretsManagerService(this);
    this.rds = new RdsService(this);
    this.route53 = new Route53Service(this);
    this.ssm = new SsmService(this);
    this.ecs = new EcsService(this);
    this.autoscaling = new AutoScalingService(this);
    this.ec2 = new Ec2Service(this);
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
    };
    // RDS publishes each replica's lag to CloudWatch (AWS/RDS ReplicaLag), as on AWS.
    const cloudwatch = this.#services.cloudwatch as ServiceModel;
    this.#services.cloudwatch = {
      handle: (action, input) =>
        (action === "GetMetricStatistics" ? this.rds.metricStatistics(input) : undefined) ??
        cloudwatch.handle(action, input),
    };
  }

  arn(service: string, resource: string): string {
    return `arn:aws:${service}:${this.region}:${this.accountId}:${resource}`;
  }

  newId(): string {
    return randomUUID();
  }

  /** The caller of the code running now (set by Lambda invocations and executions). */
  caller(): Caller {
    return this.#caller.getStore() ?? { principal: "operator" };
  }

  runAs<T>(caller: Caller, fn: () => T): T {
    return this.#caller.run(caller, fn);
  }

  /** Called for every call recorded (live timelines). */
  onCall(listener: (call: CallRecord) => void): void {
    this.#callListeners.push(listener);
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
    const fault = this.#takeFault(service, action, input);
    this.#record(service, action, input, fault?.error);
    if (fault) throw awsError(service, fault.error, fault.message ?? `${fault.error} (injected)`);
  }

  /** Answers one API call: records it, applies injected faults, dispatches to the service model. */
  async call(
    service: string,
    action: string,
    input: Record<string, unknown>,
  ): Promise<Record<string, unknown>> {
    const fault = this.#takeFault(service, action, input);
    const record = this.#record(service, action, input, fault?.error);
    if (fault) throw awsError(service, fault.error, fault.message ?? `${fault.error} (injected)`);
    const model = this.#services[service];
    if (!model)
      throw awsError(service, "UnknownOperationException", `the simulated account has no ${service}`);
    try {
      const output = await model.handle(action, input);
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
            const fault = this.#takeFault(service, action, args.input);
            this.#record(service, action, args.input, fault?.error);
            if (fault) throw awsError(service, fault.error, fault.message ?? `${fault.error} (injected)`);
            return next(args);
          }
          const output = await this.call(service, action, args.input);
          return {
            output: { $metadata: { httpStatusCode: 200, requestId: this.newId() }, ...output },
            response: {},
          };
        },
      { step: "initialize", name: "switchyardSimulatedAccount", priority: "low" },
    );
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

  #record(service: string, action: string, input: unknown, error?: string): CallRecord {
    const caller = this.caller();
    const record: CallRecord = {
      seq: ++this.#seq,
      at: this.clock.iso(),
      service,
      action,
      input,
      principal: caller.principal,
      ...(caller.eventId ? { eventId: caller.eventId } : {}),
      ...(error ? { error } : {}),
    };
    this.calls.push(record);
    for (const listener of this.#callListeners) listener(record);
    return record;
  }
}
