import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { EventBridgeClient, PutEventsCommand } from "@aws-sdk/client-eventbridge";
import {
  GetSecretValueCommand,
  ResourceNotFoundException,
  SecretsManagerClient,
} from "@aws-sdk/client-secrets-manager";
import { sign } from "@octokit/webhooks-methods";
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from "aws-lambda";
import { mockClient } from "aws-sdk-client-mock";
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { logger } from "../packages/core/src/observability/logger.ts";
import { stateTable } from "../packages/core/src/store/table.ts";
import { handler } from "../packages/functions/src/github-webhook.ts";
import { type LocalDynamo, localCredentials, startLocalDynamo } from "../packages/sim/src/dynalite.ts";
import { githubExample, webhookLambdaContext } from "./support/webhook.ts";

// Every log line is read below: log at DEBUG from the start (injectLambdaContext resets a level
// changed later back to the one the logger was built with).
vi.hoisted(() => {
  process.env.POWERTOOLS_LOG_LEVEL = "DEBUG";
});

const pushPayload = JSON.stringify(githubExample("push"));
const deploymentPayload = JSON.stringify(githubExample("deployment"));

// Invented: a webhook secret has no public sample. Long and unusual so a leak cannot hide.
const WEBHOOK_SECRET = "e2e-webhook-secret-5d1f0c6a9b8e47f2a3c4";
const ROTATED_SECRET = "e2e-rotated-secret-0a7c9e3b5d2f41e6b8a9";
const SECRET_ID = "switchyard/github-webhook";
const EVENT_ID = "11710aed-b79e-4468-a20b-bb3c0c3b4860";

// Prototype-level mocks: the handler builds its own clients with createClients(), as in Lambda.
const secretsManager = mockClient(SecretsManagerClient);
const eventBridge = mockClient(EventBridgeClient);

/** What a Lambda function URL does with an HTTP request: payload format 2.0, base64 body. */
async function toFunctionUrlEvent(request: IncomingMessage): Promise<APIGatewayProxyEventV2> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  const url = new URL(request.url ?? "/", "http://localhost");
  const headers = Object.fromEntries(
    Object.entries(request.headers).map(([name, value]) => [
      name.toLowerCase(),
      Array.isArray(value) ? value.join(",") : (value ?? ""),
    ]),
  );
  const now = new Date();
  return {
    version: "2.0",
    routeKey: "$default",
    rawPath: url.pathname,
    rawQueryString: url.search.slice(1),
    headers,
    requestContext: {
      accountId: "anonymous",
      apiId: "local",
      domainName: headers.host ?? "127.0.0.1",
      domainPrefix: "local",
      http: {
        method: request.method ?? "POST",
        path: url.pathname,
        protocol: `HTTP/${request.httpVersion}`,
        sourceIp: request.socket.remoteAddress ?? "127.0.0.1",
        userAgent: headers["user-agent"] ?? "",
      },
      requestId: randomUUID(),
      routeKey: "$default",
      stage: "$default",
      time: now.toUTCString(),
      timeEpoch: now.getTime(),
    },
    body: Buffer.concat(chunks).toString("base64"),
    isBase64Encoded: true,
  };
}

const lambdaContext = (): Context => webhookLambdaContext("us-east-1");

function startFunctionUrl(): Promise<Server> {
  const server = createServer(async (request, response) => {
    const result = (await handler(await toFunctionUrlEvent(request), lambdaContext())) as
      | APIGatewayProxyStructuredResultV2
      | string;
    const structured = typeof result === "string" ? { statusCode: 200, body: result } : result;
    response.writeHead(structured.statusCode ?? 200, structured.headers as Record<string, string>);
    response.end(structured.body ?? "");
  });
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve(server)));
}

const ENV = {
  AWS_REGION: "us-east-1",
  AWS_ACCESS_KEY_ID: localCredentials.accessKeyId,
  AWS_SECRET_ACCESS_KEY: localCredentials.secretAccessKey,
  SWITCHYARD_WEBHOOK_SECRET_ID: SECRET_ID,
  SWITCHYARD_TABLE: stateTable.localName,
  SWITCHYARD_BUS: "switchyard",
};

describe("GitHub webhook over a function URL", () => {
  let dynamo: LocalDynamo;
  let server: Server;
  let url: string;
  const logged: string[] = [];

  beforeAll(async () => {
    // Everything the process writes, so the secret check below covers every log line.
    for (const stream of [process.stdout, process.stderr]) {
      vi.spyOn(stream, "write").mockImplementation((chunk: string | Uint8Array) => {
        logged.push(typeof chunk === "string" ? chunk : Buffer.from(chunk).toString("utf8"));
        return true;
      });
    }
    for (const level of ["log", "info", "warn", "error", "debug", "trace"] as const) {
      vi.spyOn(console, level).mockImplementation((...args: unknown[]) => {
        logged.push(args.map((arg) => (typeof arg === "string" ? arg : JSON.stringify(arg))).join(" "));
      });
    }
    logger.setLogLevel("DEBUG");

    dynamo = await startLocalDynamo();
    // The SDK reads service endpoints from the environment, so the handler stays unchanged.
    vi.stubEnv("AWS_ENDPOINT_URL_DYNAMODB", dynamo.endpoint);
    for (const [name, value] of Object.entries(ENV)) vi.stubEnv(name, value);

    server = await startFunctionUrl();
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  });

  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
    await dynamo.close();
    vi.unstubAllEnvs();
    vi.restoreAllMocks();
  });

  beforeEach(() => {
    secretsManager.reset();
    eventBridge.reset();
    secretsManager
      .on(GetSecretValueCommand, { SecretId: SECRET_ID, VersionStage: "AWSCURRENT" })
      .resolves({ Name: SECRET_ID, SecretString: WEBHOOK_SECRET, VersionStages: ["AWSCURRENT"] })
      .on(GetSecretValueCommand, { SecretId: SECRET_ID, VersionStage: "AWSPENDING" })
      .rejects(
        new ResourceNotFoundException({
          message: "Secrets Manager can't find the specified secret value for staging label: AWSPENDING",
          $metadata: {},
        }),
      );
    eventBridge.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: EVENT_ID }] });
  });

  async function deliver(options: {
    payload: string;
    event?: string | null;
    id?: string;
    signature?: string | null;
    secret?: string;
  }) {
    const headers: Record<string, string> = {
      "content-type": "application/json",
      "user-agent": "GitHub-Hookshot/044aadd",
      "x-github-hook-id": "292430182",
      "x-github-delivery": options.id ?? randomUUID(),
    };
    if (options.event !== null) headers["X-GitHub-Event"] = options.event ?? "push";
    const signature =
      options.signature === undefined
        ? await sign(options.secret ?? WEBHOOK_SECRET, options.payload)
        : options.signature;
    if (signature !== null) headers["X-Hub-Signature-256"] = signature;
    const response = await fetch(url, { method: "POST", headers, body: options.payload });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  }

  it("accepts a signed push with 202 and puts it on the bus once", async () => {
    const response = await deliver({ payload: pushPayload, event: "push" });

    expect(response).toEqual({ status: 202, body: { status: "accepted", eventId: EVENT_ID } });
    expect(eventBridge.commandCalls(PutEventsCommand).map((call) => call.args[0].input.Entries)).toEqual([
      [
        {
          EventBusName: "switchyard",
          Source: "github.com",
          DetailType: "push",
          Detail: pushPayload,
          Resources: [],
          Time: expect.any(Date),
        },
      ],
    ]);
  });

  it("answers a redelivery of the same delivery with 200 duplicate and does not put it again", async () => {
    const id = randomUUID();
    await deliver({ payload: deploymentPayload, event: "deployment", id });

    const redelivery = await deliver({ payload: deploymentPayload, event: "deployment", id });

    expect(redelivery).toEqual({ status: 200, body: { status: "duplicate", eventId: EVENT_ID } });
    expect(eventBridge.commandCalls(PutEventsCommand)).toHaveLength(1);
  });

  it("answers an unsigned request with 401 unsigned", async () => {
    const response = await deliver({ payload: pushPayload, signature: null });

    expect(response.status).toBe(401);
    expect(response.body.status).toBe("unsigned");
    expect(eventBridge.commandCalls(PutEventsCommand)).toHaveLength(0);
  });

  it("answers a body changed after signing with 401 bad signature", async () => {
    const signature = await sign(WEBHOOK_SECRET, pushPayload);
    const tampered = pushPayload.replace('"forced":false', '"forced":true');
    expect(tampered).not.toBe(pushPayload);

    const response = await deliver({ payload: tampered, signature });

    expect(response.status).toBe(401);
    expect(response.body.status).toBe("bad signature");
    expect(eventBridge.commandCalls(PutEventsCommand)).toHaveLength(0);
  });

  it("answers an oversized payload with 413", async () => {
    const oversized = JSON.stringify({ ...JSON.parse(pushPayload), padding: "x".repeat(262_144) });

    const response = await deliver({ payload: oversized });

    expect(response.status).toBe(413);
    expect(response.body.reason).toContain("262144-byte entry limit");
  });

  it("answers a signed body that is not JSON with 400", async () => {
    const response = await deliver({ payload: "ref=refs/heads/main" });

    expect(response.status).toBe(400);
    expect(response.body.reason).toMatch(/^body is not JSON/);
  });

  it("answers a signed delivery without X-GitHub-Event with 400 naming the header", async () => {
    const response = await deliver({ payload: pushPayload, event: null });

    expect(response.status).toBe(400);
    expect(response.body.reason).toContain("missing x-github-event header");
  });

  it("accepts a delivery signed with the pending secret during a rotation", async () => {
    secretsManager
      .on(GetSecretValueCommand, { SecretId: SECRET_ID, VersionStage: "AWSPENDING" })
      .resolves({ Name: SECRET_ID, SecretString: ROTATED_SECRET, VersionStages: ["AWSPENDING"] });

    const response = await deliver({ payload: pushPayload, secret: ROTATED_SECRET });

    expect(response.status).toBe(202);
  });

  it("answers 500 with a generic reason when the secret cannot be read, and logs the cause", async () => {
    secretsManager.on(GetSecretValueCommand).rejects(
      Object.assign(new Error("User is not authorized to perform: secretsmanager:GetSecretValue"), {
        name: "AccessDeniedException",
      }),
    );
    const id = randomUUID();

    const response = await deliver({ payload: pushPayload, id, secret: "a-secret-not-yet-cached" });

    expect(response).toEqual({
      status: 500,
      body: { status: "error", reason: "internal error; redeliver the delivery later" },
    });
    const errorLine = logged.find((line) => line.includes("GitHub webhook receiver failed"));
    expect(errorLine).toContain("AccessDeniedException");
    expect(errorLine).toContain(`"correlationId":"${id}"`);
  });

  // Runs last: it checks every line logged by this file, which has exercised every outcome above.
  it("never writes a webhook secret to the log", async () => {
    secretsManager
      .on(GetSecretValueCommand, { SecretId: SECRET_ID, VersionStage: "AWSPENDING" })
      .resolves({ Name: SECRET_ID, SecretString: ROTATED_SECRET, VersionStages: ["AWSPENDING"] });
    const id = randomUUID();
    await deliver({ payload: pushPayload, id, secret: ROTATED_SECRET });
    await deliver({ payload: pushPayload, secret: "not-the-webhook-secret" });

    const output = logged.join("\n");

    expect(output).toContain(`"correlationId":"${id}"`);
    expect(output).not.toContain(WEBHOOK_SECRET);
    expect(output).not.toContain(ROTATED_SECRET);
  });
});
