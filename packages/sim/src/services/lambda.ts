import { createHash, randomUUID } from "node:crypto";
import { fail } from "../errors.ts";
import type { Caller, Invocation, Kernel } from "../kernel.ts";

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

interface VersionRecord extends CodeState {
  Version: string;
  Description: string;
  RevisionId: string;
  LastModified: string;
}

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
  latest: CodeState & { RevisionId: string; LastModified: string };
  versions: Map<string, VersionRecord>;
  nextVersion: number;
  aliases: Map<string, AliasRecord>;
  handler?: LocalHandler;
  reservedConcurrency?: number;
  tags?: Record<string, string>;
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
        CodeSha256: sha(options.imageUri ?? options.name),
      },
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
      case "GetFunction":
        return { Configuration: this.#configuration(this.#resolve(input)) };
      case "GetFunctionConfiguration":
        return this.#configuration(this.#resolve(input));
      case "UpdateFunctionCode":
        return this.#updateCode(input);
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
      default:
        return fail("UnknownOperationException", `the simulated Lambda does not implement ${action}`);
    }
  }

  /** Invokes a function's registered handler in-process; used by Invoke, EventBridge targets and Step Functions. */
  async invoke(functionName: string, payload: unknown, caller: Caller): Promise<Invocation> {
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
    const context = this.#context(found);
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

  async #invokeCommand(input: Record<string, unknown>): Promise<unknown> {
    const fn = this.#fn(input);
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
      void this.invoke(fn.name, payload, caller);
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

  #create(name: string, code: CodeState, region = this.#kernel.region): FunctionRecord {
    const fn: FunctionRecord = {
      name,
      region,
      arn: this.functionArn(name, region),
      latest: { ...code, RevisionId: randomUUID(), LastModified: this.#kernel.clock.iso() },
      versions: new Map(),
      nextVersion: 1,
      aliases: new Map(),
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
    const v =
      version === "$LATEST"
        ? { ...fn.latest, Version: "$LATEST", Description: "" }
        : fn.versions.get(version);
    return {
      FunctionName: fn.name,
      FunctionArn: version === "$LATEST" ? fn.arn : `${fn.arn}:${version}`,
      Version: version,
      PackageType: v?.PackageType,
      ...(v?.ImageUri ? { ImageUri: v.ImageUri } : {}),
      CodeSha256: v?.CodeSha256,
      RevisionId: v?.RevisionId,
      LastModified: v?.LastModified,
      State: "Active",
      LastUpdateStatus: "Successful",
      Description: v?.Description ?? "",
    };
  }

  #updateCode(input: Record<string, unknown>): unknown {
    const fn = this.#fn(input);
    if (input.RevisionId !== undefined && input.RevisionId !== fn.latest.RevisionId) {
      return fail(
        "PreconditionFailedException",
        "The Revision Id provided does not match the latest Revision Id. Call the GetFunction/GetAlias API to retrieve the latest Revision Id",
      );
    }
    const imageUri = input.ImageUri as string | undefined;
    if (!imageUri)
      return fail("InvalidParameterValueException", "Please provide a source for function code (ImageUri).");
    // Lambda pulls the image with the caller's permissions: ecr:BatchGetImage and
    // ecr:GetDownloadUrlForLayer on the repository (Lambda Developer Guide, "Create a Lambda
    // function using a container image", Amazon ECR permissions).
    this.#kernel.authorize("ecr:BatchGetImage", [repositoryArn(imageUri, this.#kernel.partition)]);
    this.#kernel.authorize("ecr:GetDownloadUrlForLayer", [repositoryArn(imageUri, this.#kernel.partition)]);
    const digest = this.#kernel.resolveImage(imageUri);
    fn.latest = {
      PackageType: "Image",
      ImageUri: imageUri,
      CodeSha256: digest.replace(/^sha256:/, ""),
      RevisionId: randomUUID(),
      LastModified: this.#kernel.clock.iso(),
    };
    return this.#configuration({ fn, version: "$LATEST" });
  }

  #publishVersion(input: Record<string, unknown>): unknown {
    const fn = this.#fn(input);
    if (input.RevisionId !== undefined && input.RevisionId !== fn.latest.RevisionId) {
      return fail(
        "PreconditionFailedException",
        "The Revision Id provided does not match the latest Revision Id. Call the GetFunction/GetAlias API to retrieve the latest Revision Id",
      );
    }
    if (input.CodeSha256 !== undefined && input.CodeSha256 !== fn.latest.CodeSha256) {
      return fail(
        "InvalidParameterValueException",
        `CodeSHA256 (${String(input.CodeSha256)}) is different from current CodeSHA256 in $LATEST (${fn.latest.CodeSha256}). Please try again with the CodeSHA256 in $LATEST.`,
      );
    }
    return this.#configuration({ fn, version: this.#publish(fn, String(input.Description ?? "")) });
  }

  /** Lambda publishes nothing new when $LATEST has not changed since the last version: it returns that version. */
  #publish(fn: FunctionRecord, description: string): string {
    const last = [...fn.versions.values()].at(-1);
    if (last && last.CodeSha256 === fn.latest.CodeSha256 && last.ImageUri === fn.latest.ImageUri)
      return last.Version;
    const version = String(fn.nextVersion++);
    fn.versions.set(version, {
      PackageType: fn.latest.PackageType,
      ...(fn.latest.ImageUri ? { ImageUri: fn.latest.ImageUri } : {}),
      CodeSha256: fn.latest.CodeSha256,
      Version: version,
      Description: description,
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

  #context(fn: FunctionRecord): LocalLambdaContext {
    const requestId = randomUUID();
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
