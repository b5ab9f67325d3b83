import { randomBytes } from "node:crypto";
import { createRequire } from "node:module";
import type { AddressInfo } from "node:net";
import { dirname, join } from "node:path";
import { CreateTableCommand, DescribeTableCommand, DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { getSchemaSerdePlugin } from "@smithy/core/schema";
import type { HttpHandlerOptions, HttpRequest, HttpResponse, RequestHandler } from "@smithy/types";
import { stateTable } from "@switchyard/core/store/table";
import dynalite from "dynalite";
import { cacheDynaliteExpressions } from "./dynalite-expressions.ts";
import { DYNAMODB_ITEM_OPERATIONS } from "./dynamodb-operations.ts";
import { awsError } from "./errors.ts";

export interface LocalDynamo {
  /** dynalite's loopback HTTP endpoint, for other processes (a spawned function, a test's own client). */
  readonly endpoint: string;
  /**
   * Answers a client's serialized request in this process with dynalite's own validation and
   * actions, on the same store the loopback endpoint serves, without HTTP: see `plugIn`.
   */
  readonly requestHandler: RequestHandler<HttpRequest, HttpResponse, HttpHandlerOptions>;
  readonly tableName: string;
  /**
   * Wires a DynamoDB client to this dynalite in process. The simulated account's middleware still
   * authorizes and records each call, and lib-dynamodb still marshals and unmarshals documents.
   * An item operation (GetItem, PutItem, UpdateItem, DeleteItem, Query, Scan, BatchGetItem,
   * BatchWriteItem) then goes from the command's input straight to dynalite's validations and
   * action, and its answer comes back in the deserializer's shapes (binary as Uint8Array, modelled
   * exception classes): no JSON wire format, HTTP request or endpoint, which were three quarters of
   * a GetItem's cost here. Every other operation keeps the SDK's own serializer and deserializer,
   * answered by `requestHandler`. The middleware a request needs only to leave the process goes:
   * SigV4 signing, retries, host header, recursion detection, content length. The user agent stays:
   * Powertools (idempotency) places its own middleware after it. Nothing is lost by it: IAM is
   * decided by the simulated account, not by the signature (which dynalite never verified), and
   * dynalite never throttles, so the retry strategy had nothing to retry (faults injected into
   * DynamoDB calls are thrown before it, as before). `dynalite.test.ts` checks that both paths give
   * the same answers.
   */
  plugIn(client: Pick<DynamoDBClient, "config" | "middlewareStack">): void;
  close(): Promise<void>;
}

/** The SDK middleware a request needs only to cross a network (by the names the SDK gives them). */
const TRANSPORT_MIDDLEWARE = [
  "httpSigningMiddleware",
  "retryMiddleware",
  "hostHeaderMiddleware",
  "recursionDetectionMiddleware",
  "contentLengthMiddleware",
] as const;

/** Credentials for loopback endpoints only: dynalite checks that requests are signed, not by whom. */
export const localCredentials = { accessKeyId: "local", secretAccessKey: "local" };

/**
 * Starts dynalite (a real implementation of the DynamoDB API, conditional writes included)
 * on a free loopback port and creates Switchyard's state table in it.
 */
export async function startLocalDynamo(tableName: string = stateTable.localName): Promise<LocalDynamo> {
  cacheDynaliteExpressions();
  const { server, store } = dynaliteWithStore({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const endpoint = `http://127.0.0.1:${port}`;
  let closed = false;
  const requestHandler = inProcessHandler(store, () => closed);
  const client = new DynamoDBClient({
    endpoint,
    region: "us-east-1",
    credentials: localCredentials,
    requestHandler,
  });
  await client.send(
    new CreateTableCommand({
      TableName: tableName,
      AttributeDefinitions: [
        { AttributeName: stateTable.partitionKey, AttributeType: "S" },
        { AttributeName: stateTable.sortKey, AttributeType: "S" },
      ],
      KeySchema: [
        { AttributeName: stateTable.partitionKey, KeyType: "HASH" },
        { AttributeName: stateTable.sortKey, KeyType: "RANGE" },
      ],
      BillingMode: "PAY_PER_REQUEST",
    }),
  );
  // A new table is CREATING until dynalite's timer (createTableMs) makes it ACTIVE, and refuses
  // item requests until then, as DynamoDB does; over loopback HTTP the first request came late
  // enough, in process it may not.
  while (
    (await client.send(new DescribeTableCommand({ TableName: tableName }))).Table?.TableStatus !== "ACTIVE"
  )
    await new Promise((resolve) => setTimeout(resolve, 1));
  client.destroy();
  return {
    endpoint,
    requestHandler,
    tableName,
    plugIn(target) {
      target.config.requestHandler = requestHandler;
      for (const name of TRANSPORT_MIDDLEWARE) target.middlewareStack.remove(name);
      answerItemOperationsDirectly(
        target,
        directAnswer(store, () => closed),
      );
    },
    close: () => {
      closed = true;
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** The item operations answered from the command's input, without the wire format: see `answerItemOperationsDirectly`. */
const DIRECT_OPERATIONS = new Set<string>(DYNAMODB_ITEM_OPERATIONS);
/** Where the serializer hands an item operation's input on to the deserializer, instead of a request. */
const DIRECT_INPUT = Symbol("switchyard.dynalite.input");
type DirectRequest = { headers: Record<string, string>; [DIRECT_INPUT]: object };
type DirectAnswer = (operation: string, input: object) => Promise<object>;

/**
 * Swaps the client's serializer and deserializer for ones that hand an item operation's input
 * (document-marshalled already: lib-dynamodb marshals before the serializer and unmarshals after
 * the deserializer) straight to `answer`, and return its output as the deserializer would: no
 * JSON wire format, no HTTP request, no endpoint. Every other operation goes through the SDK's own
 * serde, kept here (the same `getSchemaSerdePlugin` the client was built with), and so on to
 * `inProcessHandler`.
 */
function answerItemOperationsDirectly(
  target: Pick<DynamoDBClient, "config" | "middlewareStack">,
  answer: DirectAnswer,
): void {
  type Args = { input: object; request?: unknown };
  type Handler = (args: Args) => Promise<unknown>;
  type Middleware = (next: Handler, context: { commandName?: string }) => Handler;
  const stack = target.middlewareStack as unknown as {
    add(
      middleware: Middleware,
      options: { step: string; name: string; tags: string[]; override: true },
    ): void;
  };
  // The SDK's own serializer and deserializer, as the client's constructor added them.
  const sdk: Record<string, Middleware> = {};
  getSchemaSerdePlugin(target.config as Parameters<typeof getSchemaSerdePlugin>[0]).applyToStack({
    add: (middleware: Middleware, options: { name: string }) => {
      sdk[options.name] = middleware;
    },
  } as never);
  const serializer = sdk.serializerMiddleware;
  const deserializer = sdk.deserializerMiddleware;
  if (!serializer || !deserializer)
    throw new Error("the SDK's serde plugin no longer adds serializerMiddleware and deserializerMiddleware");
  const operationOf = (context: { commandName?: string }) =>
    (context.commandName ?? "").replace(/Command$/, "");
  stack.add(
    (next, context) => {
      if (!DIRECT_OPERATIONS.has(operationOf(context))) return serializer(next, context);
      return (args) =>
        next({ ...args, request: { headers: {}, [DIRECT_INPUT]: args.input } satisfies DirectRequest });
    },
    { step: "serialize", name: "serializerMiddleware", tags: ["SERIALIZER"], override: true },
  );
  stack.add(
    (next, context) => {
      const viaSdk = deserializer(next, context);
      const operation = operationOf(context);
      return async (args) => {
        const input = (args.request as Partial<DirectRequest> | undefined)?.[DIRECT_INPUT];
        if (input === undefined) return viaSdk(args);
        return { response: { statusCode: 200, headers: {} }, output: await answer(operation, input) };
      };
    },
    { step: "deserialize", name: "deserializerMiddleware", tags: ["DESERIALIZER"], override: true },
  );
}

/** dynalite's modules that answer a request once its HTTP envelope is read (dynalite 4, CommonJS). */
interface DynaliteValidation {
  types: unknown;
  custom?: unknown;
}
type Store = object;
interface DynaliteModules {
  db: { create(options: object): Store };
  validations: {
    toLowerFirst(name: string): string;
    checkTypes(data: unknown, types: unknown): Record<string, unknown>;
    checkValidations(data: unknown, types: unknown, custom: unknown, store: Store): void;
  };
  action(name: string): {
    run: (store: Store, data: unknown, done: (error: DynaliteError | null, out?: unknown) => void) => void;
    validation: DynaliteValidation;
  };
}
interface DynaliteError {
  statusCode?: number;
  body?: unknown;
}

/** The operations dynalite answers, as its request listener lists them (index.js, validOperations). */
const OPERATIONS = new Set([
  "BatchGetItem",
  "BatchWriteItem",
  "CreateTable",
  "DeleteItem",
  "DeleteTable",
  "DescribeTable",
  "DescribeTimeToLive",
  "GetItem",
  "ListTables",
  "PutItem",
  "Query",
  "Scan",
  "TagResource",
  "UntagResource",
  "ListTagsOfResource",
  "UpdateItem",
  "UpdateTable",
]);
const API_VERSIONS = new Set(["DynamoDB_20111205", "DynamoDB_20120810"]);
/** dynalite's (and DynamoDB's) largest request: 16 MB. */
const MAX_REQUEST_BYTES = 16 * 1024 * 1024;

let modules: DynaliteModules | undefined;
function dynaliteModules(): DynaliteModules {
  if (modules) return modules;
  const require = createRequire(import.meta.url);
  const root = dirname(require.resolve("dynalite"));
  const validations = require(join(root, "validations")) as DynaliteModules["validations"];
  const actions = new Map<string, ReturnType<DynaliteModules["action"]>>();
  modules = {
    db: require(join(root, "db")) as DynaliteModules["db"],
    validations,
    action(name) {
      let found = actions.get(name);
      if (!found) {
        const file = validations.toLowerFirst(name);
        found = {
          run: require(join(root, "actions", file)) as ReturnType<DynaliteModules["action"]>["run"],
          validation: require(join(root, "validations", file)) as DynaliteValidation,
        };
        actions.set(name, found);
      }
      return found;
    },
  };
  return modules;
}

/**
 * Starts dynalite's server and keeps the store it serves: dynalite builds its store with
 * `db.create` inside `dynalite()` and does not expose it, so `create` is wrapped for that one
 * call. The loopback endpoint and the in-process handler then answer from the same tables.
 */
function dynaliteWithStore(options: object): { server: ReturnType<typeof dynalite>; store: Store } {
  const { db } = dynaliteModules();
  const create = db.create;
  let store: Store | undefined;
  db.create = (o) => {
    store = create(o);
    return store;
  };
  try {
    const server = dynalite(options);
    if (!store) throw new Error("dynalite built no store: its db module is not the one it uses");
    return { server, store };
  } finally {
    db.create = create;
  }
}

/**
 * Answers an item operation's input (DynamoDB's JSON shapes, binary as Uint8Array) as dynalite's
 * listener answers the same request on the wire: its type checks, validations and action on the
 * served store. The output comes back in the shapes the SDK's deserializer gives (binary as
 * Uint8Array, `$metadata`), and an error as the SDK's modelled exception class.
 */
function directAnswer(store: Store, closed: () => boolean): DirectAnswer {
  const requestId = requestIds();
  return (operation, input) => {
    if (closed()) return Promise.reject(refused());
    const id = requestId();
    const metadata = (httpStatusCode: number) => ({
      httpStatusCode,
      requestId: id,
      extendedRequestId: undefined,
      cfId: undefined,
    });
    // What the serializer would have written: a JSON copy, binary as base64.
    const data: unknown = JSON.parse(
      JSON.stringify(input, (_key, value) =>
        value instanceof Uint8Array ? Buffer.from(value).toString("base64") : value,
      ),
    );
    return runAction(store, operation, data).then(
      (out) => ({ ...(withBinary(out) as object), $metadata: metadata(200) }),
      (error: DynaliteError) => {
        if (!error.statusCode) throw error;
        const body = (error.body ?? {}) as { __type?: string; message?: string; Message?: string };
        const name = (body.__type ?? "InternalServerError").split("#").at(-1) ?? "InternalServerError";
        throw Object.assign(awsError("dynamodb", name, body.message ?? body.Message ?? ""), {
          $metadata: metadata(error.statusCode),
        });
      },
    );
  };
}

/**
 * dynalite's type checks, validations and action for `operation` on the store, as its listener
 * runs them once it has read a request (index.js, httpHandler). Rejects with dynalite's error,
 * which carries the status code and JSON body it answers with, or with an unexpected error.
 */
function runAction(store: Store, operation: string, data: unknown): Promise<unknown> {
  const { validations, action } = dynaliteModules();
  const { run, validation } = action(operation);
  let checked: unknown;
  try {
    checked = validations.checkTypes(data, validation.types);
    validations.checkValidations(checked, validation.types, validation.custom, store);
  } catch (error) {
    return Promise.reject(error);
  }
  return new Promise((resolve, reject) => {
    run(store, checked, (error, out) => (error ? reject(error) : resolve(out)));
  });
}

/** What a client sees from a closed dynalite: the connection refused. */
const refused = () =>
  Object.assign(new Error("connect ECONNREFUSED: dynalite is closed"), { code: "ECONNREFUSED" });

/** dynalite's JSON answer with each binary attribute value (`B`, `BS`) as the SDK gives it: Uint8Array. */
function withBinary(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withBinary);
  if (value === null || typeof value !== "object") return value;
  const out: Record<string, unknown> = {};
  for (const [key, inner] of Object.entries(value)) {
    if (key === "B" && typeof inner === "string") out[key] = new Uint8Array(Buffer.from(inner, "base64"));
    else if (key === "BS" && Array.isArray(inner) && inner.every((b) => typeof b === "string"))
      out[key] = inner.map((b: string) => new Uint8Array(Buffer.from(b, "base64")));
    else out[key] = withBinary(inner);
  }
  return out;
}

/** Request ids of dynalite's shape (52 upper-case characters): a random stem drawn once and a counter. */
function requestIds(): () => string {
  const stem = randomBytes(26).toString("hex").toUpperCase();
  let requests = 0;
  return () => {
    const n = (++requests).toString(36).toUpperCase();
    return stem.slice(0, 52 - n.length) + n;
  };
}

/**
 * A Smithy request handler that answers a serialized DynamoDB request as dynalite's HTTP listener
 * does once it has read the request (index.js, httpHandler): the target header names the
 * operation, the body is the JSON request, dynalite's type checks and validations run, then its
 * action, on the served store; errors come back as the same JSON bodies and status codes.
 * What it does not repeat is the envelope — the content-type and signature-presence checks —
 * because a request handed over in process was never signed (see `plugIn`).
 */
function inProcessHandler(
  store: Store,
  closed: () => boolean,
): RequestHandler<HttpRequest, HttpResponse, HttpHandlerOptions> {
  const requestId = requestIds();
  const respond = (data: unknown, statusCode = 200): { response: HttpResponse } => ({
    response: {
      statusCode,
      headers: {
        "content-type": "application/x-amz-json-1.0",
        "x-amzn-requestid": requestId(),
      },
      body: Buffer.from(JSON.stringify(data) ?? ""),
    } as HttpResponse,
  });
  const coral = (type: string) => ({ __type: `com.amazon.coral.service#${type}` });
  return {
    handle(request: HttpRequest): Promise<{ response: HttpResponse }> {
      // As a closed server refuses the connection: dynalite's store is closed or closing.
      if (closed()) return Promise.reject(refused());
      let target = "";
      for (const [name, value] of Object.entries(request.headers))
        if (name.toLowerCase() === "x-amz-target") target = value;
      const [api, operation, ...rest] = target.split(".");
      if (rest.length > 0 || !API_VERSIONS.has(api ?? "") || !OPERATIONS.has(operation ?? ""))
        return Promise.resolve(respond(coral("UnknownOperationException"), 400));
      const raw = request.body as string | Uint8Array | undefined;
      const body =
        raw === undefined || raw === null
          ? ""
          : typeof raw === "string"
            ? raw
            : Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength).toString();
      if (Buffer.byteLength(body) > MAX_REQUEST_BYTES)
        return Promise.resolve({
          response: { statusCode: 413, headers: {}, body: Buffer.alloc(0) } as HttpResponse,
        });
      if (body === "") return Promise.resolve(respond(coral("SerializationException"), 400));
      let data: unknown;
      try {
        data = JSON.parse(body);
      } catch {
        return Promise.resolve(respond(coral("SerializationException"), 400));
      }
      return runAction(store, operation as string, data).then(
        (out) => respond(out),
        (error: DynaliteError) => {
          if (!error.statusCode) throw error;
          return respond(error.body, error.statusCode);
        },
      );
    },
  };
}
