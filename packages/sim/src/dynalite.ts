import { randomBytes } from "node:crypto";
import { createRequire } from "node:module";
import type { AddressInfo } from "node:net";
import { dirname, join } from "node:path";
import { CreateTableCommand, DescribeTableCommand, DynamoDBClient } from "@aws-sdk/client-dynamodb";
import type { HttpHandlerOptions, HttpRequest, HttpResponse, RequestHandler } from "@smithy/types";
import { stateTable } from "@switchyard/core/store/table";
import dynalite from "dynalite";
import { cacheDynaliteExpressions } from "./dynalite-expressions.ts";

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
   * Wires a DynamoDB client to this dynalite in process. The SDK still serializes each request
   * to DynamoDB's JSON wire format and deserializes the answer (document marshalling, modelled
   * exceptions), and the simulated account's middleware still authorizes and records each call;
   * what goes is the middleware that exists only for a request that leaves the process — SigV4
   * signing, retries, host header, recursion detection, content length — about two thirds of a
   * call's cost. The user agent stays: Powertools (idempotency) places its own middleware after
   * it. Nothing is lost by it: IAM is decided by the simulated account, not by the signature
   * (which dynalite never verified), and dynalite never throttles, so the retry strategy had
   * nothing to retry (faults injected into DynamoDB calls are thrown before it, as before).
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
    },
    close: () => {
      closed = true;
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
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
  const { validations, action } = dynaliteModules();
  // Request ids of dynalite's shape (52 upper-case characters), unique per handler: a random
  // stem drawn once and a counter, instead of fresh random bytes for every request.
  const stem = randomBytes(26).toString("hex").toUpperCase();
  let requests = 0;
  const requestId = () => {
    const n = (++requests).toString(36).toUpperCase();
    return stem.slice(0, 52 - n.length) + n;
  };
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
      if (closed())
        return Promise.reject(
          Object.assign(new Error("connect ECONNREFUSED: dynalite is closed"), { code: "ECONNREFUSED" }),
        );
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
      const { run, validation } = action(operation as string);
      try {
        data = validations.checkTypes(data, validation.types);
        validations.checkValidations(data, validation.types, validation.custom, store);
      } catch (error) {
        const failed = error as DynaliteError;
        if (failed.statusCode) return Promise.resolve(respond(failed.body, failed.statusCode));
        return Promise.reject(error);
      }
      return new Promise((resolve, reject) => {
        run(store, data, (error, out) => {
          if (error?.statusCode) resolve(respond(error.body, error.statusCode));
          else if (error) reject(error);
          else resolve(respond(out));
        });
      });
    },
  };
}
