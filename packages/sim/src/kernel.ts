import type { Activity, VirtualClock } from "./clock.ts";

/**
 * What a simulated service may ask of the account it lives in. Services depend on this
 * interface only: never on `SimulatedAccount`, never on one another. What one service needs
 * from another goes through a named capability here (`emit`, `invoke`, `resolveImage`,
 * metric sources) or through an API call (`call`), as it does on AWS.
 */
export interface Kernel {
  /** ARN partition: "aws". */
  readonly partition: string;
  readonly accountId: string;
  /**
   * The account's home region. Every simulated resource lives here today; services that
   * model regions (issue #10) key their stores by `clientRegion()` instead.
   */
  readonly region: string;
  readonly clock: VirtualClock;
  /** Work in flight (invocations, executions, deliveries): what `idle()` waits for. */
  readonly activity: Activity;

  /**
   * The region of the client whose API call is being answered now, inherited by the work that
   * call causes (an event delivery, an execution, an invocation); the home region outside any
   * call. Nothing reads it yet: it is here so a later change can key stores by region.
   */
  clientRegion(): string;

  /** An ARN in this account: `arn:aws:<service>:<region>:<account>:<resource>`; region "" for global resources. */
  arn(service: string, resource: string, region?: string): string;
  /** An SQS queue URL in this account. */
  queueUrl(name: string, region?: string): string;
  /** A fresh unique id (request ids, message ids, execution names). */
  newId(): string;

  /** The caller of the code running now: a function, a state machine, a rule, or the operator. */
  caller(): Caller;
  /** Runs `fn` as `caller`: every call it makes is attributed to that caller. */
  runAs<T>(caller: Caller, fn: () => T): T;

  /**
   * An API call one service makes on AWS's side (an EventBridge target, a Step Functions
   * integration): recorded, subject to injected faults, answered by the service it names.
   */
  call(service: string, action: string, input: Record<string, unknown>): Promise<Record<string, unknown>>;
  /**
   * Records a call a service makes on the caller's behalf without a request of its own
   * (Step Functions invoking a Lambda function), applying injected faults to it.
   */
  recordCall(service: string, action: string, input: Record<string, unknown>): void;

  /** An AWS service puts an event on the default bus (asynchronously, as AWS does). */
  emit(event: ServiceEvent): BusEventOut;
  /** Lambda runs a function's handler in-process (EventBridge targets, Step Functions tasks, rotation). */
  invoke(functionName: string, payload: unknown, caller: Caller): Promise<Invocation>;
  /** ECR resolves an image URI to the digest it names and that manifest's media type (Lambda pulling an image). */
  resolveImage(uri: string): { digest: string; mediaType: string };
  /** Registers a source of metric data with CloudWatch (a service publishing its metrics). */
  registerMetricSource(source: MetricSource): void;
}

/** Who is calling: a function, a state machine, or the operator; and which event caused it. */
export interface Caller {
  readonly principal: string;
  readonly eventId?: string;
}

/** What every simulated service answers: one API action with its input. */
export interface ServiceModel {
  handle(action: string, input: Record<string, unknown>): unknown;
}

/** An event as an AWS service emits it, before the bus completes it (id, time, account, region). */
export interface ServiceEvent {
  source: string;
  "detail-type": string;
  resources: string[];
  detail: unknown;
}

/** An event as the bus delivers it to targets. */
export interface BusEventOut {
  version: string;
  id: string;
  "detail-type": string;
  source: string;
  account: string;
  time: string;
  region: string;
  resources: string[];
  detail: unknown;
}

/** How one in-process invocation of a function ended. */
export interface Invocation {
  result?: unknown;
  error?: { errorType: string; errorMessage: string };
  version: string;
}

/**
 * Data of one CloudWatch metric that another service publishes (RDS's ReplicaLag). CloudWatch
 * answers GetMetricStatistics for `namespace`/`metricName` from the source registered for it.
 */
export interface MetricSource {
  readonly namespace: string;
  readonly metricName: string;
  /** The metric's value now for these dimensions (Name → Value); undefined when there is no data. */
  sample(dimensions: Readonly<Record<string, string>>): { value: number; unit: string } | undefined;
}
