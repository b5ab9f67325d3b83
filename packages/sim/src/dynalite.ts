import { EventEmitter } from "node:events";
import type { AddressInfo } from "node:net";
import { CreateTableCommand, DescribeTableCommand, DynamoDBClient } from "@aws-sdk/client-dynamodb";
import type { HttpHandlerOptions, HttpRequest, HttpResponse, RequestHandler } from "@smithy/types";
import { stateTable } from "@switchyard/core/store/table";
import dynalite from "dynalite";
import { cacheDynaliteExpressions } from "./dynalite-expressions.ts";

export interface LocalDynamo {
  /** dynalite's loopback HTTP endpoint, for other processes (a spawned function, a test's own client). */
  readonly endpoint: string;
  /**
   * Hands a client's signed request to dynalite's own request listener in this process: the same
   * dynalite code answers it as over HTTP (signature presence, validation, the action), without
   * the socket round trip. Give it to a DynamoDB client as its `requestHandler`.
   */
  readonly requestHandler: RequestHandler<HttpRequest, HttpResponse, HttpHandlerOptions>;
  readonly tableName: string;
  close(): Promise<void>;
}

/** Credentials for loopback endpoints only: dynalite checks that requests are signed, not by whom. */
export const localCredentials = { accessKeyId: "local", secretAccessKey: "local" };

type Listener = (req: EventEmitter, res: object) => void;

/**
 * Starts dynalite (a real implementation of the DynamoDB API, conditional writes included)
 * on a free loopback port and creates Switchyard's state table in it.
 */
export async function startLocalDynamo(tableName: string = stateTable.localName): Promise<LocalDynamo> {
  cacheDynaliteExpressions();
  const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const endpoint = `http://127.0.0.1:${port}`;
  const listener = server.listeners("request")[0] as Listener | undefined;
  if (!listener) throw new Error("dynalite's server has no request listener");
  let closed = false;
  const requestHandler = inProcessHandler(listener, () => closed);
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
    close: () => {
      closed = true;
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/**
 * A Smithy request handler that calls dynalite's HTTP request listener with a request and a
 * response that live in memory: Node's `IncomingMessage` as far as dynalite reads it (method,
 * url, lower-cased headers, `data` and `end` events) and `ServerResponse` as far as it writes it
 * (statusCode, setHeader, end).
 */
function inProcessHandler(
  listener: Listener,
  closed: () => boolean,
): RequestHandler<HttpRequest, HttpResponse, HttpHandlerOptions> {
  return {
    handle(request: HttpRequest): Promise<{ response: HttpResponse }> {
      return new Promise((resolve, reject) => {
        // As a closed server refuses the connection: dynalite's store is closed or closing.
        if (closed()) {
          reject(
            Object.assign(new Error("connect ECONNREFUSED: dynalite is closed"), { code: "ECONNREFUSED" }),
          );
          return;
        }
        const headers: Record<string, string> = {};
        for (const [name, value] of Object.entries(request.headers)) headers[name.toLowerCase()] = value;
        const query = new URLSearchParams();
        for (const [name, value] of Object.entries(request.query ?? {}))
          for (const v of Array.isArray(value) ? value : [value]) if (v !== null) query.append(name, v);
        const search = query.size > 0 ? `?${query}` : "";
        const req = Object.assign(new EventEmitter(), {
          method: request.method,
          url: `${request.path || "/"}${search}`,
          headers,
        });
        const responseHeaders: Record<string, string> = {};
        const res = {
          statusCode: 200,
          contentType: undefined as string | undefined,
          setHeader(name: string, value: string | number) {
            responseHeaders[name.toLowerCase()] = String(value);
          },
          end(body?: string) {
            resolve({
              response: {
                statusCode: res.statusCode,
                headers: responseHeaders,
                body: Buffer.from(body ?? ""),
              } as HttpResponse,
            });
          },
        };
        try {
          listener(req, res);
          const body = request.body as string | Uint8Array | undefined;
          if (body !== undefined && body !== null && body.length > 0)
            req.emit(
              "data",
              typeof body === "string"
                ? Buffer.from(body)
                : // A view of the same bytes: the SDK's JSON body is a Uint8Array that warns when read as a string.
                  Buffer.from(body.buffer, body.byteOffset, body.byteLength),
            );
          req.emit("end");
        } catch (error) {
          reject(error);
        }
      });
    },
  };
}
