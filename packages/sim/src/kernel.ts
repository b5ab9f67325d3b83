import type { Activity, VirtualClock } from "./clock.ts";
import type { RequestContext } from "./iam.ts";

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
   * The account's home region: where a resource seeded without a region lives, and the region
   * of a client that names none. Regional services key their stores by region and answer a
   * call from the stores of `clientRegion()` only; IAM and Route 53 are global.
   */
  readonly region: string;
  readonly clock: VirtualClock;
  /** Work in flight (invocations, executions, deliveries): what `idle()` waits for. */
  readonly activity: Activity;

  /**
   * The region of the client whose API call is being answered now, inherited by the work that
   * call causes (an event delivery, an execution, an invocation); the home region outside any
   * call. A regional service sees only this region's resources: an SDK client built for
   * region X reaches region X's resources
   * (https://docs.aws.amazon.com/general/latest/gr/rande.html, "Regional endpoints").
   */
  clientRegion(): string;
  /** Runs `fn` as work in `region`: the calls it makes act there (a state machine's own region). */
  inRegion<T>(region: string, fn: () => T): T;

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
  /**
   * Authorizes what a service does on the caller's behalf (Secrets Manager invoking the rotation
   * function, Lambda pulling an image) against the caller's role, as AWS does: throws
   * AccessDeniedException when the role's policy does not allow `action` on every resource.
   * Principals without a role (the operator, AWS services, rules) are not checked.
   */
  authorize(action: string, resources: readonly string[], context?: RequestContext): void;
  /**
   * Why the execution role `roleArn` may not do `action` on `resource` (the AccessDeniedException
   * message), or undefined when it may or when IAM is not enforced for that role: what a service
   * checks of the role it will act as (Lambda setting up a VPC function's network interfaces).
   */
  roleDenies(roleArn: string, action: string, resource: string): string | undefined;

  /** An AWS service puts an event on the default bus (asynchronously, as AWS does). */
  emit(event: ServiceEvent): BusEventOut;
  /** Lambda runs a function's handler in-process (EventBridge targets, Step Functions tasks, rotation). */
  invoke(functionName: string, payload: unknown, caller: Caller): Promise<Invocation>;
  /**
   * Lambda's asynchronous invocation (InvocationType Event, as EventBridge and SNS invoke): resolves
   * with the first attempt's outcome, as Lambda has queued the event by then. A failed attempt is
   * retried later in virtual time, and an event that fails every attempt goes to the function's
   * on-failure destination; `onStep` hears each of those later steps.
   */
  invokeAsync(
    functionName: string,
    payload: unknown,
    caller: Caller,
    onStep?: (step: AsyncStep) => void,
  ): Promise<Invocation>;
  /** ECR resolves an image URI to the digest it names and that manifest's media type (Lambda pulling an image). */
  resolveImage(uri: string): { digest: string; mediaType: string };
  /** KMS resolves a key ID, key ARN, alias name or alias ARN in the calling client's region. */
  resolveKey(id: string): KmsKeyRef | undefined;
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
  /**
   * The resource ARNs IAM authorizes `action` on, from the call's input, as the Service
   * Authorization Reference lists them for the action ("*" where the action supports no
   * resource-level permissions). Absent: every action is authorized on "*".
   */
  resourceArns?(action: string, input: Record<string, unknown>): readonly string[];
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
 * What Lambda did with an asynchronous invocation after its first attempt, in virtual time: a
 * retry and how it ended, or the event discarded (every attempt failed, or it grew too old) and
 * where its invocation record went.
 */
export type AsyncStep =
  | {
      kind: "retry";
      /** The attempt's number: 2 or 3 (the first is the invocation itself). */
      attempt: number;
      /** Virtual ms since Lambda queued the event. */
      afterMs: number;
      at: string;
      result?: unknown;
      error?: { errorType: string; errorMessage: string };
    }
  | {
      kind: "discarded";
      condition: "RetriesExhausted" | "EventAgeExceeded";
      /** How many times the function ran (the record's approximateInvokeCount). */
      attempts: number;
      afterMs: number;
      at: string;
      /** The on-failure destination the record went to; absent: none configured, the event is lost. */
      destination?: string;
      /** Why the record could not be sent there (Lambda counts a DestinationDeliveryFailures). */
      destinationError?: string;
    };

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

/** A KMS key as other services see it: where it is, whether a customer manages it, its aliases. */
export interface KmsKeyRef {
  readonly keyId: string;
  readonly arn: string;
  readonly region: string;
  readonly customerManaged: boolean;
  /** Alias names ("alias/…") that name the key. */
  readonly aliases: readonly string[];
}
