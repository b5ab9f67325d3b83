import { createHash, randomUUID } from "node:crypto";
import { fail, SimError } from "../errors.ts";
import { IMPLIED_PERMISSIONS } from "../iam.ts";
import type { AsyncStep, Caller, Invocation, Kernel } from "../kernel.ts";
import { isIndex } from "./ecr.ts";

/** A Lambda handler as Node.js runs it: `(event, context) => result`. */
export type LocalHandler = (event: unknown, context: LocalLambdaContext) => Promise<unknown>;

export interface LocalLambdaContext {
  functionName: string;
  functionVersion: string;
  invokedFunctionArn: string;
  memoryLimitInMB: string;
  awsRequestId: string;
  logGroupName: string;
  logStreamName: string;
  callbackWaitsForEmptyEventLoop: boolean;
  getRemainingTimeInMillis(): number;
  done(): void;
  fail(): void;
  succeed(): void;
}

interface CodeState {
  PackageType: "Image" | "Zip";
  ImageUri?: string;
  CodeSha256: string;
}

/** The version-specific settings UpdateFunctionConfiguration changes and PublishVersion locks. */
type Settings = Record<string, unknown>;

/** Fields of UpdateFunctionConfiguration (and CreateFunction) the simulated Lambda keeps. */
const SETTING_FIELDS = [
  "Role",
  "Handler",
  "Description",
  "Timeout",
  "MemorySize",
  "VpcConfig",
  "Environment",
  "Runtime",
  "DeadLetterConfig",
  "KMSKeyArn",
  "TracingConfig",
  "Layers",
  "FileSystemConfigs",
  "ImageConfig",
  "EphemeralStorage",
  "LoggingConfig",
] as const;

interface VersionRecord extends CodeState {
  Version: string;
  Description: string;
  RevisionId: string;
  LastModified: string;
  settings: Settings;
}

/**
 * Function states and update states, as Lambda reports them in GetFunction(Configuration):
 * `State` Pending after CreateFunction until Lambda has provisioned the function, then Active;
 * `LastUpdateStatus` InProgress after UpdateFunctionCode / UpdateFunctionConfiguration until
 * the update is applied, then Successful, or Failed with a reason when Lambda gives it up (the
 * previous code and configuration stay). Meanwhile PublishVersion and further updates fail
 * with ResourceConflictException. https://docs.aws.amazon.com/lambda/latest/dg/functions-states.html
 */
type FunctionState = "Pending" | "Active" | "Failed";
type UpdateStatus = "InProgress" | "Successful" | "Failed";
interface Reason {
  reason: string;
  code: string;
}

/** Virtual time Lambda takes to provision a new function (Pending → Active). */
export const LAMBDA_CREATE_MS = 5_000;
/** Virtual time Lambda takes to apply a code or configuration update (InProgress → Successful). */
export const LAMBDA_UPDATE_MS = 5_000;

/**
 * Lambda's waits before it retries a function error of an asynchronous invocation: one minute
 * before the second attempt, two more before the third.
 * https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-error-handling.html
 */
export const ASYNC_RETRY_DELAYS_MS = [60_000, 120_000] as const;
/** MaximumEventAgeInSeconds' range and default (6 hours), and MaximumRetryAttempts' default (2). */
const EVENT_AGE_S = { min: 60, max: 21_600 } as const;
const DEFAULT_ASYNC_RETRIES = 2;

/**
 * A function's asynchronous invocation settings (PutFunctionEventInvokeConfig), for one qualifier.
 * https://docs.aws.amazon.com/lambda/latest/api/API_PutFunctionEventInvokeConfig.html
 */
interface EventInvokeConfig {
  MaximumRetryAttempts?: number;
  MaximumEventAgeInSeconds?: number;
  DestinationConfig: { OnSuccess: { Destination?: string }; OnFailure: { Destination?: string } };
  LastModified: number;
}

/** The services Lambda sends invocation records to, by the destination ARN's service. */
const DESTINATION_ARN = /^arn:[\w-]+:(sqs|sns|lambda|events):([\w-]+):(\d{12}):(.+)$/;

interface AliasRecord {
  Name: string;
  FunctionVersion: string;
  Description: string;
  AdditionalVersionWeights: Record<string, number>;
  RevisionId: string;
}

interface FunctionRecord {
  name: string;
  /** Functions are regional: only a client of this region reaches it by API. */
  region: string;
  arn: string;
  latest: CodeState & { RevisionId: string; LastModified: string; settings: Settings };
  state: FunctionState;
  stateReason?: Reason;
  lastUpdate: UpdateStatus;
  lastUpdateReason?: Reason;
  /** Counts updates: a completion timer only applies the update it was started for. */
  updates: number;
  versions: Map<string, VersionRecord>;
  nextVersion: number;
  aliases: Map<string, AliasRecord>;
  handler?: LocalHandler;
  /** Asynchronous invocation settings by qualifier ("$LATEST" for the unqualified function). */
  eventInvokeConfigs: Map<string, EventInvokeConfig>;
  reservedConcurrency?: number;
  tags?: Record<string, string>;
}

/** One asynchronous invocation, as Lambda's queue keeps it between attempts. */
interface AsyncAttempt {
  fn: FunctionRecord;
  payload: unknown;
  caller: Caller;
  requestId: string;
  /** When Lambda queued the event (virtual ms): its age counts from here. */
  queued: number;
  config: EventInvokeConfig | undefined;
  onStep: ((step: AsyncStep) => void) | undefined;
}

/** Actions whose Qualifier names the version or alias the call acts on (a qualified ARN). */
const QUALIFIED = new Set([
  "InvokeFunction",
  "GetFunction",
  "GetFunctionConfiguration",
  "GetProvisionedConcurrencyConfig",
  "PutProvisionedConcurrencyConfig",
  "DeleteProvisionedConcurrencyConfig",
]);

const NAME_ARN = /^(?:arn:aws[\w-]*:lambda:[\w-]+:\d{12}:function:)?([\w-]{1,64})(?::([\w$-]+))?$/;

/**
 * Lambda: functions, immutable versions, aliases with weighted routing and RevisionId
 * preconditions, image code updates, and in-process invocation of registered handlers.
 */
export class LambdaService {
  readonly #kernel: Kernel;
  readonly #functions = new Map<string, FunctionRecord>();
  /** Provisioned concurrency per `function:qualifier`: IN_PROGRESS while it allocates, then READY. */
  readonly #provisioned = new Map<string, { requested: number; allocated: number; status: string }>();

  constructor(kernel: Kernel) {
    this.#kernel = kernel;
  }

  /** Seeds a function with published versions "1".."versions" and optionally an alias on one of them. */
  seedFunction(options: {
    name: string;
    imageUri?: string;
    alias?: string;
    aliasVersion?: string;
    versions?: number;
    /** The function's region; the account's by default (names stay unique across regions here). */
    region?: string;
  }): void {
    if (this.#functions.has(options.name)) return;
    const fn = this.#create(
      options.name,
      {
        PackageType: options.imageUri ? "Image" : "Zip",
        ...(options.imageUri ? { ImageUri: options.imageUri } : {}),
        // An image function's CodeSha256 is the digest of its image, as Lambda reports it.
        CodeSha256:
          /@sha256:([0-9a-f]{64})$/.exec(options.imageUri ?? "")?.[1] ??
          sha(options.imageUri ?? options.name),
      },
      {},
      options.region,
    );
    for (let i = 0; i < (options.versions ?? 1); i++) {
      fn.latest.CodeSha256 = i === 0 ? fn.latest.CodeSha256 : sha(`${options.name}-${i}`);
      this.#publish(fn, "");
    }
    if (options.alias) {
      fn.aliases.set(options.alias, {
        Name: options.alias,
        FunctionVersion: options.aliasVersion ?? "1",
        Description: "",
        AdditionalVersionWeights: {},
        RevisionId: randomUUID(),
      });
    }
  }

  /** Tags a function (seeding), creating it when it does not exist yet. */
  tagFunction(name: string, tags: Record<string, string>): void {
    const fn = this.#functions.get(name) ?? this.#create(name, { PackageType: "Zip", CodeSha256: sha(name) });
    fn.tags = { ...(fn.tags ?? {}), ...tags };
  }

  /** A function's reserved concurrency, for reports and tests; undefined when unreserved. */
  reservedConcurrency(name: string): number | undefined {
    return this.#functions.get(name)?.reservedConcurrency;
  }

  /** Registers an in-process handler as the code of `name` (creating the function if needed). */
  registerHandler(name: string, handler: LocalHandler): void {
    const fn = this.#functions.get(name) ?? this.#create(name, { PackageType: "Zip", CodeSha256: sha(name) });
    fn.handler = handler;
  }

  functionArn(name: string, region?: string): string {
    return this.#kernel.arn("lambda", `function:${name}`, region ?? this.#functions.get(name)?.region);
  }

  /** Current alias state, for reports: `{ version, weights }`. */
  aliasState(
    functionName: string,
    alias: string,
  ): { version: string; weights: Record<string, number> } | undefined {
    const record = this.#functions.get(functionName)?.aliases.get(alias);
    return record && { version: record.FunctionVersion, weights: { ...record.AdditionalVersionWeights } };
  }

  /**
   * Function actions are authorized on the function's ARN, qualified by the version or alias the
   * call names (in FunctionName or Qualifier) (Lambda Developer Guide, "Fine-tuning the Resources
   * and Conditions sections of policies"; Service Authorization Reference, AWS Lambda).
   */
  resourceArns(action: string, input: Record<string, unknown>): readonly string[] {
    const ref = String((action === "ListTags" ? input.Resource : input.FunctionName) ?? "");
    const arn = /^(arn:[\w-]+:lambda:[\w-]+:\d{12}:function:[\w-]+)(?::([\w$-]+))?$/.exec(ref);
    const match = arn ? undefined : NAME_ARN.exec(ref.replace(/^\d{12}:function:/, ""));
    const name = match?.[1] ?? ref;
    const base = arn?.[1] ?? this.#functions.get(name)?.arn ?? this.functionArn(name);
    const qualifier = arn?.[2] ?? match?.[2] ?? (QUALIFIED.has(action) ? input.Qualifier : undefined);
    return [typeof qualifier === "string" && qualifier ? `${base}:${qualifier}` : base];
  }

  handle(action: string, input: Record<string, unknown>): unknown {
    switch (action) {
      case "GetFunction": {
        const resolved = this.#resolve(input);
        return { Configuration: this.#configuration(resolved), ...this.#codeLocation(resolved) };
      }
      case "GetFunctionConfiguration":
        return this.#configuration(this.#resolve(input));
      case "CreateFunction":
        return this.#createFunction(input);
      case "UpdateFunctionCode":
        return this.#updateCode(input);
      case "UpdateFunctionConfiguration":
        return this.#updateConfiguration(input);
      case "PublishVersion":
        return this.#publishVersion(input);
      case "ListVersionsByFunction":
        return this.#listVersions(input);
      case "GetAlias":
        return this.#aliasOut(this.#fn(input), this.#alias(this.#fn(input), str(input.Name, "Name")));
      case "CreateAlias":
        return this.#createAlias(input);
      case "UpdateAlias":
        return this.#updateAlias(input);
      case "ListAliases":
        return {
          Aliases: [...this.#fn(input).aliases.values()].map((a) => this.#aliasOut(this.#fn(input), a)),
        };
      case "PutFunctionConcurrency": {
        const fn = this.#fn(input);
        fn.reservedConcurrency = Number(input.ReservedConcurrentExecutions);
        return { ReservedConcurrentExecutions: fn.reservedConcurrency };
      }
      case "PutProvisionedConcurrencyConfig":
        return this.#putProvisioned(input);
      case "GetProvisionedConcurrencyConfig": {
        const config = this.#provisioned.get(`${this.#fn(input).name}:${String(input.Qualifier ?? "")}`);
        if (!config)
          return fail(
            "ProvisionedConcurrencyConfigNotFoundException",
            "No Provisioned Concurrency Config found for this function",
          );
        return this.#provisionedOut(config);
      }
      case "GetFunctionConcurrency": {
        const fn = this.#fn(input);
        return fn.reservedConcurrency === undefined
          ? {}
          : { ReservedConcurrentExecutions: fn.reservedConcurrency };
      }
      case "DeleteFunctionConcurrency":
        delete this.#fn(input).reservedConcurrency;
        return {};
      case "ListTags": {
        // ListTags names the function by ARN (Resource), not by FunctionName.
        const fn = this.#fn({ FunctionName: input.Resource });
        return { Tags: { ...(fn.tags ?? {}) } };
      }
      case "InvokeFunction":
        return this.#invokeCommand(input);
      case "PutFunctionEventInvokeConfig":
      case "UpdateFunctionEventInvokeConfig":
        return this.#putEventInvokeConfig(input, action === "UpdateFunctionEventInvokeConfig");
      case "GetFunctionEventInvokeConfig": {
        const { fn, qualifier } = this.#eventInvokeTarget(input);
        return this.#eventInvokeConfigOut(fn, qualifier, this.#eventInvokeConfig(fn, qualifier));
      }
      case "DeleteFunctionEventInvokeConfig": {
        const { fn, qualifier } = this.#eventInvokeTarget(input);
        this.#eventInvokeConfig(fn, qualifier);
        fn.eventInvokeConfigs.delete(qualifier);
        return {};
      }
      default:
        return fail("UnknownOperationException", `the simulated Lambda does not implement ${action}`);
    }
  }

  /**
   * Invokes a function's registered handler in-process; used by Invoke, EventBridge targets and Step
   * Functions. `requestId` is the context's awsRequestId: an asynchronous invocation keeps its one
   * request id through its retries.
   */
  async invoke(
    functionName: string,
    payload: unknown,
    caller: Caller,
    requestId: string = randomUUID(),
  ): Promise<Invocation> {
    const match = NAME_ARN.exec(functionName);
    const fn = match?.[1] ? this.#functions.get(match[1]) : undefined;
    if (!fn)
      fail(
        "ResourceNotFoundException",
        `Function not found: ${this.functionArn(match?.[1] ?? functionName)}`,
      );
    const found = fn as FunctionRecord;
    if (!found.handler) return { result: null, version: "$LATEST" };
    const handler = found.handler;
    const context = this.#context(found, requestId);
    return this.#kernel.activity.track(() =>
      this.#kernel.runAs(
        { principal: found.name, ...(caller.eventId ? { eventId: caller.eventId } : {}) },
        async () => {
          try {
            // Lambda serialises the event: the handler never shares objects with its caller.
            const result = await handler(JSON.parse(JSON.stringify(payload ?? null)), context);
            return {
              result: result === undefined ? null : JSON.parse(JSON.stringify(result)),
              version: "$LATEST",
            };
          } catch (error) {
            const e = error instanceof Error ? error : new Error(String(error));
            return { error: { errorType: e.name || "Error", errorMessage: e.message }, version: "$LATEST" };
          }
        },
      ),
    );
  }

  /**
   * An asynchronous invocation: Lambda queues the event and runs it; this resolves with the first
   * attempt's outcome. A function error is retried after 1 minute, then 2 more (at most
   * MaximumRetryAttempts times, 2 by default), in virtual time: the retries are work the activity
   * tracks, so running the clock out drives them and `idle()` does not wait for them. When every
   * attempt failed, or the event outgrew MaximumEventAgeInSeconds before its next attempt, Lambda
   * discards it and sends an invocation record to the on-failure destination, if one is configured.
   * https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-error-handling.html
   * https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-retain-records.html
   */
  async invokeAsync(
    functionName: string,
    payload: unknown,
    caller: Caller,
    onStep?: (step: AsyncStep) => void,
  ): Promise<Invocation> {
    const match = NAME_ARN.exec(functionName);
    const requestId = randomUUID();
    const queued = this.#kernel.clock.now();
    const first = await this.invoke(functionName, payload, caller, requestId);
    const fn = match?.[1] ? this.#functions.get(match[1]) : undefined;
    if (first.error && fn) {
      const config = fn.eventInvokeConfigs.get(match?.[2] ?? "$LATEST");
      const attempt = { fn, payload, caller, requestId, queued, config, onStep };
      void this.#kernel.activity.track(() => this.#retry(attempt, first));
    }
    return first;
  }

  async #retry(a: AsyncAttempt, first: Invocation): Promise<void> {
    const clock = this.#kernel.clock;
    const retries = a.config?.MaximumRetryAttempts ?? DEFAULT_ASYNC_RETRIES;
    const maxAgeMs = (a.config?.MaximumEventAgeInSeconds ?? EVENT_AGE_S.max) * 1000;
    let last = first;
    let attempts = 1;
    for (const delay of ASYNC_RETRY_DELAYS_MS.slice(0, retries)) {
      await clock.sleep(delay, { label: `lambda async retry ${a.fn.name}` });
      if (clock.now() - a.queued > maxAgeMs) return this.#discard(a, "EventAgeExceeded", attempts, last);
      last = await this.invoke(a.fn.name, a.payload, a.caller, a.requestId);
      attempts++;
      a.onStep?.({
        kind: "retry",
        attempt: attempts,
        afterMs: clock.now() - a.queued,
        at: clock.iso(),
        ...(last.error ? { error: last.error } : { result: last.result }),
      });
      if (!last.error) return;
    }
    return this.#discard(a, "RetriesExhausted", attempts, last);
  }

  /**
   * Discards an event that failed, sending the invocation record AWS documents to the on-failure
   * destination: as an SQS message body or an SNS message, a Lambda function's payload, or an
   * EventBridge event's detail. Lambda sends it with the function's execution role, which needs
   * sqs:SendMessage, sns:Publish, lambda:InvokeFunction or events:PutEvents on it.
   * https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-retain-records.html
   */
  async #discard(
    a: AsyncAttempt,
    condition: "RetriesExhausted" | "EventAgeExceeded",
    attempts: number,
    last: Invocation,
  ): Promise<void> {
    const clock = this.#kernel.clock;
    const destination = a.config?.DestinationConfig.OnFailure.Destination;
    let destinationError: string | undefined;
    if (destination) {
      const record = {
        version: "1.0",
        timestamp: clock.iso(),
        requestContext: {
          requestId: a.requestId,
          functionArn: `${a.fn.arn}:${last.version}`,
          condition,
          approximateInvokeCount: attempts,
        },
        requestPayload: JSON.parse(JSON.stringify(a.payload ?? null)),
        responseContext: { statusCode: 200, executedVersion: last.version, functionError: "Unhandled" },
        responsePayload: { ...last.error, trace: [] },
      };
      try {
        await this.#sendRecord(a, destination, record);
      } catch (error) {
        destinationError = `${(error as Error).name}: ${(error as Error).message}`;
      }
    }
    a.onStep?.({
      kind: "discarded",
      condition,
      attempts,
      afterMs: clock.now() - a.queued,
      at: clock.iso(),
      ...(destination ? { destination } : {}),
      ...(destinationError ? { destinationError } : {}),
    });
  }

  #sendRecord(a: AsyncAttempt, destination: string, record: Record<string, unknown>): Promise<unknown> {
    const [, service, region = this.#kernel.region, , resource = ""] =
      DESTINATION_ARN.exec(destination) ?? [];
    const k = this.#kernel;
    const send = () => {
      switch (service) {
        case "sqs":
          return k.call("sqs", "SendMessage", {
            QueueUrl: k.queueUrl(resource, region),
            MessageBody: JSON.stringify(record),
          });
        case "sns":
          return k.call("sns", "Publish", { TopicArn: destination, Message: JSON.stringify(record) });
        case "lambda":
          // Lambda invokes the destination function itself, asynchronously: no request of its own
          // to answer, but the role's lambda:InvokeFunction is checked and the call recorded.
          k.recordCall("lambda", "InvokeFunction", { FunctionName: destination, InvocationType: "Event" });
          return this.invokeAsync(destination, record, k.caller());
        default:
          return k.call("events", "PutEvents", {
            Entries: [
              {
                EventBusName: destination,
                Source: "lambda",
                DetailType: "Lambda Function Invocation Result - Failure",
                Resources: [a.fn.arn, destination],
                Detail: JSON.stringify(record),
              },
            ],
          });
      }
    };
    const principal = { principal: a.fn.name, ...(a.caller.eventId ? { eventId: a.caller.eventId } : {}) };
    return k.runAs(principal, () => k.inRegion(region, send));
  }

  /** The function and qualifier an EventInvokeConfig action names ("$LATEST" when unqualified). */
  #eventInvokeTarget(input: Record<string, unknown>): { fn: FunctionRecord; qualifier: string } {
    const fn = this.#fn(input);
    const qualifier =
      (input.Qualifier as string | undefined) ?? NAME_ARN.exec(String(input.FunctionName))?.[2] ?? "$LATEST";
    if (qualifier !== "$LATEST" && !fn.versions.has(qualifier) && !fn.aliases.has(qualifier))
      return fail("ResourceNotFoundException", `Function not found: ${fn.arn}:${qualifier}`);
    return { fn, qualifier };
  }

  #eventInvokeConfig(fn: FunctionRecord, qualifier: string): EventInvokeConfig {
    const config = fn.eventInvokeConfigs.get(qualifier);
    if (!config)
      return fail(
        "ResourceNotFoundException",
        `The function ${fn.arn}:${qualifier} doesn't have an EventInvokeConfig`,
      );
    return config;
  }

  /**
   * PutFunctionEventInvokeConfig replaces the settings (one left out is removed);
   * UpdateFunctionEventInvokeConfig changes only those it names. MaximumRetryAttempts is 0–2,
   * MaximumEventAgeInSeconds 60–21600, a destination an SQS queue, SNS topic, Lambda function or
   * EventBridge bus. https://docs.aws.amazon.com/lambda/latest/api/API_PutFunctionEventInvokeConfig.html
   */
  #putEventInvokeConfig(input: Record<string, unknown>, update: boolean): unknown {
    const { fn, qualifier } = this.#eventInvokeTarget(input);
    const retries = input.MaximumRetryAttempts;
    if (retries !== undefined && !(Number.isInteger(retries) && Number(retries) >= 0 && Number(retries) <= 2))
      return fail(
        "InvalidParameterValueException",
        `1 validation error detected: Value '${String(retries)}' at 'maximumRetryAttempts' failed to satisfy constraint: Member must have value between 0 and 2`,
      );
    const age = input.MaximumEventAgeInSeconds;
    if (
      age !== undefined &&
      !(Number.isInteger(age) && Number(age) >= EVENT_AGE_S.min && Number(age) <= EVENT_AGE_S.max)
    )
      return fail(
        "InvalidParameterValueException",
        `1 validation error detected: Value '${String(age)}' at 'maximumEventAgeInSeconds' failed to satisfy constraint: Member must have value between ${EVENT_AGE_S.min} and ${EVENT_AGE_S.max}`,
      );
    const destinations = (input.DestinationConfig ?? {}) as Record<string, { Destination?: unknown }>;
    for (const [on, d] of Object.entries(destinations))
      if (d?.Destination !== undefined && !DESTINATION_ARN.test(String(d.Destination)))
        return fail(
          "InvalidParameterValueException",
          `DestinationConfig.${on}.Destination ${String(d.Destination)} is not the ARN of an SQS queue, SNS topic, Lambda function or EventBridge event bus`,
        );
    const previous = update ? fn.eventInvokeConfigs.get(qualifier) : undefined;
    const destination = (on: "OnSuccess" | "OnFailure") => {
      const given = destinations[on]?.Destination;
      if (given !== undefined) return { Destination: String(given) };
      return { ...(previous?.DestinationConfig[on] ?? {}) };
    };
    // A setting given is taken; one left out is kept by an update and removed by a put.
    const setting = <K extends "MaximumRetryAttempts" | "MaximumEventAgeInSeconds">(
      key: K,
      given: unknown,
    ) => {
      const value = given !== undefined ? Number(given) : previous?.[key];
      return value !== undefined ? { [key]: value } : {};
    };
    const config: EventInvokeConfig = {
      ...setting("MaximumRetryAttempts", retries),
      ...setting("MaximumEventAgeInSeconds", age),
      DestinationConfig: { OnSuccess: destination("OnSuccess"), OnFailure: destination("OnFailure") },
      LastModified: this.#kernel.clock.now() / 1000,
    };
    fn.eventInvokeConfigs.set(qualifier, config);
    return this.#eventInvokeConfigOut(fn, qualifier, config);
  }

  #eventInvokeConfigOut(fn: FunctionRecord, qualifier: string, config: EventInvokeConfig): unknown {
    return { FunctionArn: `${fn.arn}:${qualifier}`, ...structuredClone(config) };
  }

  async #invokeCommand(input: Record<string, unknown>): Promise<unknown> {
    const fn = this.#fn(input);
    // "Lambda does not invoke a function during pending state."
    // https://docs.aws.amazon.com/lambda/latest/dg/functions-states.html
    if (fn.state === "Pending")
      return fail(
        "ResourceConflictException",
        "The operation cannot be performed at this time. The function is currently in the following state: Pending",
      );
    const raw = input.Payload;
    const text =
      raw === undefined
        ? "null"
        : typeof raw === "string"
          ? raw
          : new TextDecoder().decode(raw as Uint8Array);
    let payload: unknown;
    try {
      payload = JSON.parse(text);
    } catch {
      return fail("InvalidRequestContentException", "Could not parse request body into json");
    }
    const caller = this.#kernel.caller();
    if (input.InvocationType === "Event") {
      void this.invokeAsync(fn.name, payload, caller);
      return { StatusCode: 202 };
    }
    const out = await this.invoke(fn.name, payload, caller);
    const body = out.error ? { ...out.error, trace: [] } : out.result;
    return {
      StatusCode: 200,
      ExecutedVersion: out.version,
      ...(out.error ? { FunctionError: "Unhandled" } : {}),
      Payload: new TextEncoder().encode(JSON.stringify(body ?? null)),
    };
  }

  #putProvisioned(input: Record<string, unknown>): unknown {
    const fn = this.#fn(input);
    const qualifier = String(input.Qualifier ?? "");
    if (!fn.aliases.has(qualifier) && !fn.versions.has(qualifier))
      return fail("ResourceNotFoundException", `Function not found: ${fn.arn}:${qualifier}`);
    const requested = Number(input.ProvisionedConcurrentExecutions);
    if (!Number.isInteger(requested) || requested < 1)
      return fail("InvalidParameterValueException", "ProvisionedConcurrentExecutions must be at least 1");
    const key = `${fn.name}:${qualifier}`;
    const config = {
      requested,
      allocated: this.#provisioned.get(key)?.allocated ?? 0,
      status: "IN_PROGRESS",
    };
    this.#provisioned.set(key, config);
    // Lambda takes a minute or two to initialise the execution environments.
    this.#kernel.clock.schedule(2 * 60_000, `lambda provisioned concurrency ${key}`, () => {
      if (this.#provisioned.get(key) !== config) return;
      config.allocated = config.requested;
      config.status = "READY";
    });
    return this.#provisionedOut(config);
  }

  #provisionedOut(config: { requested: number; allocated: number; status: string }): Record<string, unknown> {
    return {
      RequestedProvisionedConcurrentExecutions: config.requested,
      AllocatedProvisionedConcurrentExecutions: config.allocated,
      AvailableProvisionedConcurrentExecutions: config.allocated,
      Status: config.status,
      LastModified: this.#kernel.clock.iso(),
    };
  }

  /** A function that already exists: seeded functions are Active, their last update Successful. */
  #create(
    name: string,
    code: CodeState,
    settings: Settings = {},
    region = this.#kernel.region,
  ): FunctionRecord {
    const fn: FunctionRecord = {
      name,
      region,
      arn: this.functionArn(name, region),
      latest: { ...code, RevisionId: randomUUID(), LastModified: this.#kernel.clock.iso(), settings },
      state: "Active",
      lastUpdate: "Successful",
      updates: 0,
      versions: new Map(),
      nextVersion: 1,
      aliases: new Map(),
      eventInvokeConfigs: new Map(),
    };
    this.#functions.set(name, fn);
    return fn;
  }

  #fn(input: Record<string, unknown>): FunctionRecord {
    const raw = str(input.FunctionName, "FunctionName");
    const match = NAME_ARN.exec(raw);
    const fn = match?.[1] ? this.#functions.get(match[1]) : undefined;
    // A client reaches the functions of its region only (Lambda endpoints are regional).
    const region = this.#kernel.clientRegion();
    if (!fn || fn.region !== region)
      return fail(
        "ResourceNotFoundException",
        `Function not found: ${this.functionArn(match?.[1] ?? raw, region)}`,
      );
    return fn;
  }

  #resolve(input: Record<string, unknown>): { fn: FunctionRecord; version: string } {
    const fn = this.#fn(input);
    const qualifier =
      (input.Qualifier as string | undefined) ?? NAME_ARN.exec(String(input.FunctionName))?.[2];
    if (!qualifier || qualifier === "$LATEST") return { fn, version: "$LATEST" };
    if (fn.versions.has(qualifier)) return { fn, version: qualifier };
    const alias = fn.aliases.get(qualifier);
    if (!alias) return fail("ResourceNotFoundException", `Function not found: ${fn.arn}:${qualifier}`);
    return { fn, version: alias.FunctionVersion };
  }

  #configuration({ fn, version }: { fn: FunctionRecord; version: string }): Record<string, unknown> {
    const latest = version === "$LATEST";
    const v = latest
      ? {
          ...fn.latest,
          Version: "$LATEST",
          Description: String(fn.latest.settings.Description ?? ""),
        }
      : fn.versions.get(version);
    return {
      FunctionName: fn.name,
      FunctionArn: latest ? fn.arn : `${fn.arn}:${version}`,
      ...v?.settings,
      Version: version,
      PackageType: v?.PackageType,
      ...(v?.ImageUri ? { ImageUri: v.ImageUri } : {}),
      CodeSha256: v?.CodeSha256,
      RevisionId: v?.RevisionId,
      LastModified: v?.LastModified,
      Description: v?.Description ?? "",
      // A published version is a snapshot of a $LATEST that was Active and Successful.
      State: latest ? fn.state : "Active",
      ...(latest && fn.stateReason
        ? { StateReason: fn.stateReason.reason, StateReasonCode: fn.stateReason.code }
        : {}),
      LastUpdateStatus: latest ? fn.lastUpdate : "Successful",
      ...(latest && fn.lastUpdateReason
        ? {
            LastUpdateStatusReason: fn.lastUpdateReason.reason,
            LastUpdateStatusReasonCode: fn.lastUpdateReason.code,
          }
        : {}),
    };
  }

  /** GetFunction's `Code` for an image function: the URI asked for and the digest Lambda resolved it to. */
  #codeLocation({ fn, version }: { fn: FunctionRecord; version: string }): Record<string, unknown> {
    const v = version === "$LATEST" ? fn.latest : fn.versions.get(version);
    if (!v?.ImageUri) return {};
    const repository = v.ImageUri.replace(/[@:][^/]*$/, "");
    return {
      Code: {
        RepositoryType: "ECR",
        ImageUri: v.ImageUri,
        ResolvedImageUri: `${repository}@sha256:${v.CodeSha256}`,
      },
    };
  }

  /**
   * Writes that Lambda refuses while the function is being created or updated.
   * https://docs.aws.amazon.com/lambda/latest/dg/functions-states.html
   */
  #checkNotBusy(fn: FunctionRecord): void {
    if (fn.state === "Pending")
      fail(
        "ResourceConflictException",
        `The operation cannot be performed at this time. The resource ${fn.arn} is currently in the following state: 'Pending'. StateReasonCode: '${fn.stateReason?.code ?? "Creating"}'`,
      );
    if (fn.lastUpdate === "InProgress")
      fail(
        "ResourceConflictException",
        `The operation cannot be performed at this time. An update is in progress for resource: ${fn.arn}`,
      );
  }

  #checkRevision(fn: FunctionRecord, input: Record<string, unknown>): void {
    if (input.RevisionId !== undefined && input.RevisionId !== fn.latest.RevisionId) {
      fail(
        "PreconditionFailedException",
        "The Revision Id provided does not match the latest Revision Id. Call the GetFunction/GetAlias API to retrieve the latest Revision Id",
      );
    }
  }

  /**
   * The code an image URI names, as Lambda checks it when the call is made: the image must exist
   * in ECR, and be a single-platform manifest — an image index or manifest list (what
   * `docker buildx` pushes by default, with provenance attestations) is rejected.
   * https://docs.aws.amazon.com/lambda/latest/dg/images-create.html
   */
  #imageCode(imageUri: string): CodeState {
    // Lambda pulls the image with the caller's permissions: ecr:BatchGetImage and
    // ecr:GetDownloadUrlForLayer on the repository (Lambda Developer Guide, "Create a Lambda
    // function using a container image", Amazon ECR permissions).
    for (const action of IMPLIED_PERMISSIONS["image-pull"].actions)
      this.#kernel.authorize(action, [repositoryArn(imageUri, this.#kernel.partition)]);
    const image = this.#kernel.resolveImage(imageUri);
    if (isIndex(image.mediaType))
      fail(
        "InvalidParameterValueException",
        `The image manifest, config or layer media type for the source image ${imageUri} is not supported.`,
      );
    return { PackageType: "Image", ImageUri: imageUri, CodeSha256: image.digest.replace(/^sha256:/, "") };
  }

  /** Zip code: its CodeSha256 is the SHA-256 of the package (here: of what names it). */
  #zipCode(input: Record<string, unknown>): CodeState | undefined {
    const zip = input.ZipFile;
    if (zip instanceof Uint8Array)
      return { PackageType: "Zip", CodeSha256: createHash("sha256").update(zip).digest("base64") };
    if (typeof input.S3Bucket === "string")
      return {
        PackageType: "Zip",
        CodeSha256: sha(
          `s3://${input.S3Bucket}/${String(input.S3Key)}?${String(input.S3ObjectVersion ?? "")}`,
        ),
      };
    return undefined;
  }

  /**
   * A check Lambda makes while it applies image code: the image must still be in ECR when
   * Lambda pulls it (LastUpdateStatusReasonCode / StateReasonCode `ImageDeleted` otherwise).
   */
  #imageStillThere(code: CodeState): () => Reason | undefined {
    return () => {
      if (!code.ImageUri) return undefined;
      const repository = code.ImageUri.replace(/[@:][^/]*$/, "");
      try {
        this.#kernel.resolveImage(`${repository}@sha256:${code.CodeSha256}`);
        return undefined;
      } catch (error) {
        if (!(error instanceof SimError)) throw error;
        return {
          reason: `Lambda could not pull the image ${code.ImageUri}: it no longer exists in the repository.`,
          code: "ImageDeleted",
        };
      }
    };
  }

  #createFunction(input: Record<string, unknown>): unknown {
    const name = str(input.FunctionName, "FunctionName");
    const match = NAME_ARN.exec(name);
    if (!match?.[1]) return fail("InvalidParameterValueException", `Invalid function name: ${name}`);
    if (this.#functions.has(match[1]))
      return fail("ResourceConflictException", `Function already exist: ${match[1]}`);
    const source = (input.Code ?? {}) as Record<string, unknown>;
    const code =
      input.PackageType === "Image"
        ? this.#imageCode(str(source.ImageUri, "Code.ImageUri"))
        : (this.#zipCode(source) ??
          fail("InvalidParameterValueException", "Please provide a source for function code."));
    this.#checkVpcRole(pickSettings(input));
    const fn = this.#create(match[1], code, pickSettings(input), this.#kernel.clientRegion());
    fn.state = "Pending";
    fn.stateReason = { reason: "The function is being created.", code: "Creating" };
    const check = this.#imageStillThere(code);
    this.#kernel.clock.schedule(LAMBDA_CREATE_MS, `lambda create ${fn.name}`, () => {
      if (fn.state !== "Pending") return;
      const failure = check();
      fn.state = failure ? "Failed" : "Active";
      if (failure) fn.stateReason = failure;
      else delete fn.stateReason;
      fn.latest.RevisionId = randomUUID();
    });
    if (input.Publish === true) this.#publish(fn, "");
    return this.#configuration({ fn, version: "$LATEST" });
  }

  /**
   * Starts an update of $LATEST: it reports InProgress with the new code and configuration,
   * and after LAMBDA_UPDATE_MS of virtual time becomes Successful, or Failed (when `check`
   * finds a reason) with the previous code and configuration back. The RevisionId changes
   * when the update completes, as it did when it started.
   */
  #startUpdate(
    fn: FunctionRecord,
    next: { code?: CodeState; settings?: Settings },
    options: { check?: () => Reason | undefined; publish?: boolean } = {},
  ): void {
    const previous = { ...fn.latest };
    const { PackageType, ImageUri, CodeSha256 } = fn.latest;
    fn.latest = {
      // New code replaces the old whole: a Zip package has no ImageUri.
      ...(next.code ?? { PackageType, ...(ImageUri ? { ImageUri } : {}), CodeSha256 }),
      settings: next.settings ?? fn.latest.settings,
      RevisionId: randomUUID(),
      LastModified: this.#kernel.clock.iso(),
    };
    fn.lastUpdate = "InProgress";
    delete fn.lastUpdateReason;
    const update = ++fn.updates;
    this.#kernel.clock.schedule(LAMBDA_UPDATE_MS, `lambda update ${fn.name}`, () => {
      if (fn.updates !== update || fn.lastUpdate !== "InProgress") return;
      const failure = options.check?.();
      if (failure) {
        fn.latest = { ...previous, RevisionId: randomUUID() };
        fn.lastUpdate = "Failed";
        fn.lastUpdateReason = failure;
        return;
      }
      fn.lastUpdate = "Successful";
      fn.latest.RevisionId = randomUUID();
      if (options.publish) this.#publish(fn, "");
    });
  }

  #updateCode(input: Record<string, unknown>): unknown {
    const fn = this.#fn(input);
    this.#checkNotBusy(fn);
    this.#checkRevision(fn, input);
    const imageUri = input.ImageUri as string | undefined;
    const code = imageUri ? this.#imageCode(imageUri) : this.#zipCode(input);
    if (!code)
      return fail("InvalidParameterValueException", "Please provide a source for function code (ImageUri).");
    this.#startUpdate(fn, { code }, { check: this.#imageStillThere(code), publish: input.Publish === true });
    return this.#configuration({ fn, version: "$LATEST" });
  }

  #updateConfiguration(input: Record<string, unknown>): unknown {
    const fn = this.#fn(input);
    this.#checkNotBusy(fn);
    this.#checkRevision(fn, input);
    const settings = { ...fn.latest.settings, ...pickSettings(input) };
    this.#checkVpcRole(settings);
    this.#startUpdate(fn, { settings });
    return this.#configuration({ fn, version: "$LATEST" });
  }

  /**
   * Sets a function's execution role and VPC configuration as the stack deploys them (seeding),
   * with UpdateFunctionConfiguration's check of the role.
   */
  configureVpc(
    name: string,
    options: { roleArn: string; subnetIds: string[]; securityGroupIds: string[] },
  ): void {
    const fn = this.#functions.get(name);
    if (!fn) throw new Error(`no function ${name} to configure`);
    const settings = {
      ...fn.latest.settings,
      Role: options.roleArn,
      VpcConfig: { SubnetIds: [...options.subnetIds], SecurityGroupIds: [...options.securityGroupIds] },
    };
    this.#checkVpcRole(settings);
    fn.latest.settings = settings;
  }

  /**
   * A function connected to a VPC needs its execution role to allow the network interface actions
   * (AWSLambdaVPCAccessExecutionRole's); Lambda checks the role when the function is created or its
   * VPC configuration changes and refuses otherwise: "The provided execution role does not have
   * permissions to call CreateNetworkInterface on EC2"
   * (https://docs.aws.amazon.com/lambda/latest/dg/configuration-vpc.html, "Required IAM permissions").
   */
  #checkVpcRole(settings: Settings): void {
    const vpc = settings.VpcConfig as { SubnetIds?: string[] } | undefined;
    const role = settings.Role;
    if (!vpc?.SubnetIds?.length || typeof role !== "string") return;
    for (const action of IMPLIED_PERMISSIONS["vpc-network-interfaces"].actions)
      if (this.#kernel.roleDenies(role, action, "*"))
        fail(
          "InvalidParameterValueException",
          `The provided execution role does not have permissions to call ${action.replace(/^ec2:/, "")} on EC2`,
        );
  }

  #publishVersion(input: Record<string, unknown>): unknown {
    const fn = this.#fn(input);
    this.#checkNotBusy(fn);
    this.#checkRevision(fn, input);
    if (input.CodeSha256 !== undefined && input.CodeSha256 !== fn.latest.CodeSha256) {
      return fail(
        "InvalidParameterValueException",
        `CodeSHA256 (${String(input.CodeSha256)}) is different from current CodeSHA256 in $LATEST (${fn.latest.CodeSha256}). Please try again with the CodeSHA256 in $LATEST.`,
      );
    }
    return this.#configuration({ fn, version: this.#publish(fn, String(input.Description ?? "")) });
  }

  /**
   * Lambda publishes nothing new when $LATEST's code and configuration have not changed since
   * the last version: it returns that version.
   * https://docs.aws.amazon.com/lambda/latest/api/API_PublishVersion.html
   */
  #publish(fn: FunctionRecord, description: string): string {
    const last = [...fn.versions.values()].at(-1);
    if (
      last &&
      last.CodeSha256 === fn.latest.CodeSha256 &&
      last.ImageUri === fn.latest.ImageUri &&
      JSON.stringify(last.settings) === JSON.stringify(fn.latest.settings)
    )
      return last.Version;
    const version = String(fn.nextVersion++);
    fn.versions.set(version, {
      PackageType: fn.latest.PackageType,
      ...(fn.latest.ImageUri ? { ImageUri: fn.latest.ImageUri } : {}),
      CodeSha256: fn.latest.CodeSha256,
      settings: structuredClone(fn.latest.settings),
      Version: version,
      Description: description || String(fn.latest.settings.Description ?? ""),
      RevisionId: randomUUID(),
      LastModified: this.#kernel.clock.iso(),
    });
    return version;
  }

  #listVersions(input: Record<string, unknown>): unknown {
    const fn = this.#fn(input);
    return {
      Versions: ["$LATEST", ...fn.versions.keys()].map((version) => this.#configuration({ fn, version })),
    };
  }

  #alias(fn: FunctionRecord, name: string): AliasRecord {
    const alias = fn.aliases.get(name);
    if (!alias) return fail("ResourceNotFoundException", `Alias not found: ${fn.arn}:${name}`);
    return alias;
  }

  #aliasOut(fn: FunctionRecord, alias: AliasRecord): Record<string, unknown> {
    return {
      AliasArn: `${fn.arn}:${alias.Name}`,
      Name: alias.Name,
      FunctionVersion: alias.FunctionVersion,
      Description: alias.Description,
      ...(Object.keys(alias.AdditionalVersionWeights).length > 0
        ? { RoutingConfig: { AdditionalVersionWeights: { ...alias.AdditionalVersionWeights } } }
        : {}),
      RevisionId: alias.RevisionId,
    };
  }

  #createAlias(input: Record<string, unknown>): unknown {
    const fn = this.#fn(input);
    const name = str(input.Name, "Name");
    if (fn.aliases.has(name))
      return fail("ResourceConflictException", `Alias already exists: ${fn.arn}:${name}`);
    const version = str(input.FunctionVersion, "FunctionVersion");
    this.#checkVersion(fn, version);
    const weights = this.#checkRouting(fn, version, input.RoutingConfig) ?? {};
    const alias: AliasRecord = {
      Name: name,
      FunctionVersion: version,
      Description: String(input.Description ?? ""),
      AdditionalVersionWeights: weights,
      RevisionId: randomUUID(),
    };
    fn.aliases.set(name, alias);
    return this.#aliasOut(fn, alias);
  }

  #updateAlias(input: Record<string, unknown>): unknown {
    const fn = this.#fn(input);
    const alias = this.#alias(fn, str(input.Name, "Name"));
    if (input.RevisionId !== undefined && input.RevisionId !== alias.RevisionId) {
      return fail(
        "PreconditionFailedException",
        "The Revision Id provided does not match the latest Revision Id. Call the GetFunction/GetAlias API to retrieve the latest Revision Id",
      );
    }
    const version = (input.FunctionVersion as string | undefined) ?? alias.FunctionVersion;
    this.#checkVersion(fn, version);
    const weights = this.#checkRouting(fn, version, input.RoutingConfig) ?? alias.AdditionalVersionWeights;
    if (weights[version] !== undefined) {
      return fail(
        "InvalidParameterValueException",
        `Invalid function version ${version}. Function version ${version} is already included in routing configuration.`,
      );
    }
    alias.FunctionVersion = version;
    alias.AdditionalVersionWeights = weights;
    if (input.Description !== undefined) alias.Description = String(input.Description);
    alias.RevisionId = randomUUID();
    return this.#aliasOut(fn, alias);
  }

  #checkVersion(fn: FunctionRecord, version: string): void {
    if (version !== "$LATEST" && !fn.versions.has(version)) {
      fail("ResourceNotFoundException", `Function not found: ${fn.arn}:${version}`);
    }
  }

  #checkRouting(fn: FunctionRecord, primary: string, routing: unknown): Record<string, number> | undefined {
    if (routing === undefined) return undefined;
    const weights = ((routing as { AdditionalVersionWeights?: Record<string, number> })
      .AdditionalVersionWeights ?? {}) as Record<string, number>;
    const entries = Object.entries(weights);
    if (entries.length > 1) {
      fail(
        "InvalidParameterValueException",
        "1 validation error detected: Value at 'routingConfig.additionalVersionWeights' failed to satisfy constraint: Member must have length less than or equal to 1",
      );
    }
    for (const [version, weight] of entries) {
      if (!(typeof weight === "number" && weight >= 0 && weight <= 1)) {
        fail(
          "InvalidParameterValueException",
          `Invalid weight ${String(weight)} for version ${version}: must be between 0.0 and 1.0`,
        );
      }
      if (primary === "$LATEST" || version === "$LATEST") {
        fail(
          "InvalidParameterValueException",
          "$LATEST is not supported for an alias pointing to more than 1 version",
        );
      }
      if (version === primary) {
        fail(
          "InvalidParameterValueException",
          `Invalid function version ${version}. Function version ${version} is already included in routing configuration.`,
        );
      }
      this.#checkVersion(fn, version);
    }
    return Object.fromEntries(entries);
  }

  #context(fn: FunctionRecord, requestId: string): LocalLambdaContext {
    return {
      functionName: fn.name,
      functionVersion: "$LATEST",
      invokedFunctionArn: fn.arn,
      memoryLimitInMB: "256",
      awsRequestId: requestId,
      logGroupName: `/aws/lambda/${fn.name}`,
      logStreamName: `local/${requestId}`,
      callbackWaitsForEmptyEventLoop: true,
      getRemainingTimeInMillis: () => 30_000,
      done: () => undefined,
      fail: () => undefined,
      succeed: () => undefined,
    };
  }
}

function pickSettings(input: Record<string, unknown>): Settings {
  const settings: Settings = {};
  for (const field of SETTING_FIELDS)
    if (input[field] !== undefined) settings[field] = structuredClone(input[field]);
  return settings;
}

function sha(text: string): string {
  return createHash("sha256").update(text).digest("base64");
}

function str(value: unknown, field: string): string {
  if (typeof value !== "string" || value === "") {
    return fail("InvalidParameterValueException", `${field} must be a non-empty string`);
  }
  return value;
}

/** The ECR repository an image URI (`ACCOUNT.dkr.ecr.REGION.amazonaws.com/REPO:TAG` or `@DIGEST`) names. */
function repositoryArn(uri: string, partition: string): string {
  const m = /^(\d{12})\.dkr\.ecr\.([\w-]+)\.[^/]+\/([^:@]+)/.exec(uri);
  return m ? `arn:${partition}:ecr:${m[2]}:${m[1]}:repository/${m[3]}` : "*";
}
