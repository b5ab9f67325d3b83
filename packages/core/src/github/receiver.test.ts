import { createHash, randomUUID } from "node:crypto";
import { GetItemCommand } from "@aws-sdk/client-dynamodb";
import { type EventBridgeClient, PutEventsCommand } from "@aws-sdk/client-eventbridge";
import {
  GetSecretValueCommand,
  ResourceNotFoundException,
  type SecretsManagerClient,
} from "@aws-sdk/client-secrets-manager";
import { marshall, unmarshall } from "@aws-sdk/util-dynamodb";
import { sign } from "@octokit/webhooks-methods";
import type { APIGatewayProxyEventV2, Context } from "aws-lambda";
import { type AwsClientStub, mockClient } from "aws-sdk-client-mock";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { githubExample, githubExamples, webhookLambdaContext } from "../../../../test/support/webhook.ts";
import { type LocalDynamo, localCredentials, startLocalDynamo } from "../../../sim/src/dynalite.ts";
import { createAllClients } from "../aws/all-clients.ts";
import type { AwsClients } from "../aws/clients.ts";
import { stateTable } from "../store/table.ts";
import {
  createGithubWebhookReceiver,
  type GithubWebhookReceiver,
  githubWebhookSettingsFromEnv,
} from "./receiver.ts";

// Real payloads: the first `push` and `deployment` examples GitHub's own schema repository ships.
const pushPayload = JSON.stringify(githubExample("push"));
const deploymentPayload = JSON.stringify(githubExample("deployment"));

// Invented secret values (a secret has no public sample); the secret id follows the
// GetSecretValue example in the Secrets Manager API reference.
const SECRET_ID = "arn:aws:secretsmanager:us-west-2:123456789012:secret:MyTestSecret-a1b2c3";
const CURRENT_SECRET = "current-webhook-secret-3f9c1e";
const PENDING_SECRET = "pending-webhook-secret-8b2d47";
const START = Date.parse("2026-11-25T10:00:00.000Z");
const BUS = "switchyard";

/**
 * The function URL request payload AWS documents (Lambda developer guide, "Request payload format"),
 * as it arrives for auth type NONE, carrying GitHub's delivery headers (GitHub docs, "Delivery headers").
 */
function functionUrlEvent(request: {
  headers: Record<string, string>;
  body?: string;
  isBase64Encoded?: boolean;
}): APIGatewayProxyEventV2 {
  return {
    version: "2.0",
    routeKey: "$default",
    rawPath: "/",
    rawQueryString: "",
    headers: request.headers,
    requestContext: {
      accountId: "anonymous",
      apiId: "<urlid>",
      domainName: "<url-id>.lambda-url.us-west-2.on.aws",
      domainPrefix: "<url-id>",
      http: {
        method: "POST",
        path: "/",
        protocol: "HTTP/1.1",
        sourceIp: "123.123.123.123",
        userAgent: "GitHub-Hookshot/044aadd",
      },
      requestId: "id",
      routeKey: "$default",
      stage: "$default",
      time: "12/Mar/2020:19:03:58 +0000",
      timeEpoch: 1583348638390,
    },
    ...(request.body === undefined ? {} : { body: request.body }),
    isBase64Encoded: request.isBase64Encoded ?? false,
  };
}

function githubHeaders(delivery: {
  event?: string;
  id?: string;
  signature?: string;
}): Record<string, string> {
  return {
    "content-type": "application/json",
    "user-agent": "GitHub-Hookshot/044aadd",
    "x-github-hook-id": "292430182",
    "x-github-hook-installation-target-id": "79929171",
    "x-github-hook-installation-target-type": "repository",
    ...(delivery.event === undefined ? {} : { "x-github-event": delivery.event }),
    ...(delivery.id === undefined ? {} : { "x-github-delivery": delivery.id }),
    ...(delivery.signature === undefined ? {} : { "x-hub-signature-256": delivery.signature }),
  };
}

async function signedDelivery(options: { payload: string; secret?: string; event?: string; id?: string }) {
  return functionUrlEvent({
    headers: githubHeaders({
      event: options.event ?? "push",
      id: options.id ?? randomUUID(),
      signature: await sign(options.secret ?? CURRENT_SECRET, options.payload),
    }),
    body: options.payload,
  });
}

const lambdaContext = (): Context => webhookLambdaContext("us-west-2");

function secretVersion(stage: "AWSCURRENT" | "AWSPENDING", value: string) {
  return {
    ARN: SECRET_ID,
    Name: "MyTestSecret",
    VersionId:
      stage === "AWSCURRENT"
        ? "a1b2c3d4-5678-90ab-cdef-EXAMPLE11111"
        : "a1b2c3d4-5678-90ab-cdef-EXAMPLE22222",
    SecretString: value,
    VersionStages: [stage],
    CreatedDate: new Date(1523477145713),
  };
}

const noPendingVersion = () =>
  new ResourceNotFoundException({
    message: "Secrets Manager can't find the specified secret value for staging label: AWSPENDING",
    $metadata: {},
  });

function putEventsAccepted(eventId: string) {
  return { FailedEntryCount: 0, Entries: [{ EventId: eventId }] };
}

function parse(result: { body?: string }) {
  return JSON.parse(result.body ?? "null") as Record<string, unknown>;
}

describe("GitHub webhook receiver", () => {
  let dynamo: LocalDynamo;
  let clients: AwsClients;
  let secrets: AwsClientStub<SecretsManagerClient>;
  let eventbridge: AwsClientStub<EventBridgeClient>;
  let clock: number;
  let receive: GithubWebhookReceiver;

  beforeAll(async () => {
    dynamo = await startLocalDynamo();
  });
  afterAll(async () => {
    await dynamo.close();
  });

  beforeEach(() => {
    clients = createAllClients({
      region: "us-west-2",
      dynamodbEndpoint: dynamo.endpoint,
      credentials: localCredentials,
    });
    secrets = mockClient(clients.secrets);
    eventbridge = mockClient(clients.eventbridge);
    secrets
      .on(GetSecretValueCommand, { SecretId: SECRET_ID, VersionStage: "AWSCURRENT" })
      .resolves(secretVersion("AWSCURRENT", CURRENT_SECRET))
      .on(GetSecretValueCommand, { SecretId: SECRET_ID, VersionStage: "AWSPENDING" })
      .rejects(noPendingVersion());
    eventbridge.on(PutEventsCommand).resolves(putEventsAccepted("11710aed-b79e-4468-a20b-bb3c0c3b4860"));
    clock = START;
    receive = createGithubWebhookReceiver({
      clients,
      secretId: SECRET_ID,
      tableName: stateTable.localName,
      busName: BUS,
      now: () => clock,
    });
  });

  describe("a valid delivery", () => {
    it("puts the raw body on the bus as one entry with source github.com and the event name as detail-type", async () => {
      // Prepare
      const delivery = await signedDelivery({ payload: pushPayload, event: "push" });

      // Act
      await receive(delivery, lambdaContext());

      // Assess
      expect(eventbridge.commandCalls(PutEventsCommand).map((call) => call.args[0].input)).toEqual([
        {
          Entries: [
            {
              EventBusName: BUS,
              Source: "github.com",
              DetailType: "push",
              Detail: pushPayload,
              Resources: [],
              Time: new Date(START),
            },
          ],
        },
      ]);
    });

    it("answers 202 accepted with the EventBridge event id", async () => {
      const delivery = await signedDelivery({ payload: deploymentPayload, event: "deployment" });

      const result = await receive(delivery, lambdaContext());

      expect(result.statusCode).toBe(202);
      expect(parse(result)).toEqual({ status: "accepted", eventId: "11710aed-b79e-4468-a20b-bb3c0c3b4860" });
    });

    it("forwards a base64-encoded body as the decoded text, byte for byte", async () => {
      const signed = await signedDelivery({ payload: pushPayload });
      const delivery = {
        ...signed,
        body: Buffer.from(pushPayload, "utf8").toString("base64"),
        isBase64Encoded: true,
      };

      const result = await receive(delivery, lambdaContext());

      expect(result.statusCode).toBe(202);
      expect(eventbridge.commandCalls(PutEventsCommand)[0]?.args[0].input.Entries?.[0]?.Detail).toBe(
        pushPayload,
      );
    });

    it("records the delivery in the state table under its own key, expiring after 7 days", async () => {
      const id = randomUUID();
      const before = Math.floor(Date.now() / 1000);

      await receive(await signedDelivery({ payload: pushPayload, id }), lambdaContext());

      // Powertools' documented key: the key prefix, then the MD5 of the selected value's JSON. A
      // push names no release or deployment, so its content key is its delivery id.
      const sk = `github-delivery#${createHash("md5")
        .update(JSON.stringify(`delivery:${id}`))
        .digest("base64")}`;
      const item = await clients.dynamodb.send(
        new GetItemCommand({
          TableName: stateTable.localName,
          Key: marshall({ pk: "idempotency#github-webhook", sk }),
        }),
      );
      const record = unmarshall(item.Item ?? {});
      expect(record.status).toBe("COMPLETED");
      expect(record.expiresAt).toBeGreaterThanOrEqual(before + 7 * 86_400);
      expect(record.expiresAt).toBeLessThanOrEqual(Math.ceil(Date.now() / 1000) + 7 * 86_400);
    });
  });

  describe("replayed deliveries", () => {
    /** GitHub's release example with a release id of its own, so no other test shares its content key. */
    const releaseWithId = (id: number, action = "published") => {
      const example = githubExamples("release").find((e) => (e as { action?: string }).action === action);
      const payload = structuredClone(example) as { release: { id: number } };
      payload.release.id = id;
      return JSON.stringify(payload);
    };
    const freshId = () => 1_000_000_000 + Math.floor(Math.random() * 1_000_000_000);

    it("answers 200 duplicate when a captured release delivery is resent under a new delivery id", async () => {
      const payload = releaseWithId(freshId());
      await receive(await signedDelivery({ payload, event: "release" }), lambdaContext());

      const resent = await receive(await signedDelivery({ payload, event: "release" }), lambdaContext());

      expect(resent.statusCode).toBe(200);
      expect(parse(resent).status).toBe("duplicate");
      expect(eventbridge.commandCalls(PutEventsCommand)).toHaveLength(1);
    });

    it("answers 200 duplicate when a deployment delivery is resent under a new delivery id", async () => {
      const payload = JSON.parse(deploymentPayload) as { deployment: { id: number } };
      payload.deployment.id = freshId();
      const body = JSON.stringify(payload);
      await receive(await signedDelivery({ payload: body, event: "deployment" }), lambdaContext());

      const resent = await receive(
        await signedDelivery({ payload: body, event: "deployment" }),
        lambdaContext(),
      );

      expect(parse(resent).status).toBe("duplicate");
      expect(eventbridge.commandCalls(PutEventsCommand)).toHaveLength(1);
    });

    it("forwards another release, and another action on the same release, as deliveries of their own", async () => {
      const id = freshId();
      await receive(await signedDelivery({ payload: releaseWithId(id), event: "release" }), lambdaContext());

      const other = await receive(
        await signedDelivery({ payload: releaseWithId(id + 1), event: "release" }),
        lambdaContext(),
      );
      const edited = await receive(
        await signedDelivery({ payload: releaseWithId(id, "created"), event: "release" }),
        lambdaContext(),
      );

      expect([other.statusCode, edited.statusCode]).toEqual([202, 202]);
      expect(eventbridge.commandCalls(PutEventsCommand)).toHaveLength(3);
    });

    it("answers 200 duplicate and puts nothing when a delivery id arrives again", async () => {
      const id = randomUUID();
      await receive(await signedDelivery({ payload: pushPayload, id }), lambdaContext());

      const replay = await receive(await signedDelivery({ payload: pushPayload, id }), lambdaContext());

      expect(replay.statusCode).toBe(200);
      expect(parse(replay)).toEqual({ status: "duplicate", eventId: "11710aed-b79e-4468-a20b-bb3c0c3b4860" });
      expect(eventbridge.commandCalls(PutEventsCommand)).toHaveLength(1);
    });

    it("treats a second receiver (another Lambda container) seeing the same delivery as a duplicate", async () => {
      const id = randomUUID();
      await receive(await signedDelivery({ payload: pushPayload, id }), lambdaContext());
      const otherContainer = createGithubWebhookReceiver({
        clients,
        secretId: SECRET_ID,
        tableName: stateTable.localName,
        busName: BUS,
        now: () => clock,
      });

      const replay = await otherContainer(
        await signedDelivery({ payload: pushPayload, id }),
        lambdaContext(),
      );

      expect(parse(replay).status).toBe("duplicate");
      expect(eventbridge.commandCalls(PutEventsCommand)).toHaveLength(1);
    });

    it("answers 409 in progress while the same delivery is still being put by another invocation", async () => {
      const id = randomUUID();
      let releasePut: () => void = () => {};
      eventbridge.on(PutEventsCommand).callsFake(async () => {
        await new Promise<void>((resolve) => {
          releasePut = resolve;
        });
        return putEventsAccepted("d804d26a-88db-4b66-9eaf-9a11c708ae82");
      });
      const first = receive(await signedDelivery({ payload: pushPayload, id }), lambdaContext());
      await expect.poll(() => eventbridge.commandCalls(PutEventsCommand).length).toBe(1);

      const concurrent = await receive(await signedDelivery({ payload: pushPayload, id }), lambdaContext());
      releasePut();

      expect(concurrent.statusCode).toBe(409);
      expect(parse(concurrent).status).toBe("in progress");
      expect((await first).statusCode).toBe(202);
      expect(eventbridge.commandCalls(PutEventsCommand)).toHaveLength(1);
    });
  });

  describe("EventBridge failures", () => {
    it("answers 502 when PutEvents reports the entry as failed", async () => {
      eventbridge.on(PutEventsCommand).resolves({
        FailedEntryCount: 1,
        Entries: [{ ErrorCode: "InternalFailure", ErrorMessage: "Internal service error" }],
      });

      const result = await receive(await signedDelivery({ payload: pushPayload }), lambdaContext());

      expect(result.statusCode).toBe(502);
      expect(parse(result).reason).toContain("InternalFailure");
    });

    it("forwards a redelivery after a failed entry instead of treating it as a duplicate", async () => {
      const id = randomUUID();
      eventbridge
        .on(PutEventsCommand)
        .resolvesOnce({
          FailedEntryCount: 1,
          Entries: [{ ErrorCode: "InternalFailure", ErrorMessage: "Internal service error" }],
        })
        .resolves(putEventsAccepted("d804d26a-88db-4b66-9eaf-9a11c708ae82"));
      await receive(await signedDelivery({ payload: pushPayload, id }), lambdaContext());

      const redelivery = await receive(await signedDelivery({ payload: pushPayload, id }), lambdaContext());

      expect(redelivery.statusCode).toBe(202);
      expect(parse(redelivery).eventId).toBe("d804d26a-88db-4b66-9eaf-9a11c708ae82");
      expect(eventbridge.commandCalls(PutEventsCommand)).toHaveLength(2);
    });

    it("answers 502 and forgets the delivery when the PutEvents call itself fails", async () => {
      const id = randomUUID();
      const throttled = Object.assign(new Error("Rate exceeded"), { name: "ThrottlingException" });
      eventbridge
        .on(PutEventsCommand)
        .rejectsOnce(throttled)
        .resolves(putEventsAccepted("d804d26a-88db-4b66-9eaf-9a11c708ae82"));

      const failed = await receive(await signedDelivery({ payload: pushPayload, id }), lambdaContext());
      const redelivery = await receive(await signedDelivery({ payload: pushPayload, id }), lambdaContext());

      expect(failed.statusCode).toBe(502);
      expect(parse(failed).reason).toContain("ThrottlingException");
      expect(redelivery.statusCode).toBe(202);
    });
  });

  describe("size", () => {
    it("answers 413 naming the byte counts and the PutEvents entry limit", async () => {
      const oversized = JSON.stringify({ ...JSON.parse(pushPayload), padding: "x".repeat(262_144) });

      const result = await receive(await signedDelivery({ payload: oversized }), lambdaContext());

      expect(result.statusCode).toBe(413);
      const bytes = Buffer.byteLength(oversized);
      const entryBytes = 14 + "github.com".length + "push".length + bytes;
      expect(parse(result).reason).toContain(`${bytes} bytes`);
      expect(parse(result).reason).toContain(`${entryBytes} bytes`);
      expect(parse(result).reason).toContain("262144-byte entry limit");
    });

    it("counts source, detail-type and time against the limit, so a body just under it is refused", async () => {
      const overhead = 14 + "github.com".length + "push".length;
      const body = JSON.stringify({ padding: "x".repeat(262_144 - overhead - '{"padding":""}'.length + 1) });

      const result = await receive(await signedDelivery({ payload: body }), lambdaContext());

      expect(Buffer.byteLength(body)).toBeLessThan(262_144);
      expect(result.statusCode).toBe(413);
    });

    it("accepts a payload whose entry is exactly at the limit", async () => {
      const overhead = 14 + "github.com".length + "push".length;
      const body = JSON.stringify({ padding: "x".repeat(262_144 - overhead - '{"padding":""}'.length) });

      const result = await receive(await signedDelivery({ payload: body }), lambdaContext());

      expect(result.statusCode).toBe(202);
    });

    it("refuses an oversized body before reading the secret", async () => {
      const oversized = "x".repeat(262_145);

      await receive(functionUrlEvent({ headers: githubHeaders({}), body: oversized }), lambdaContext());

      expect(secrets.commandCalls(GetSecretValueCommand)).toHaveLength(0);
    });
  });

  describe("signature", () => {
    it("answers 401 unsigned when x-hub-signature-256 is missing", async () => {
      const delivery = functionUrlEvent({
        headers: githubHeaders({ event: "push", id: randomUUID() }),
        body: pushPayload,
      });

      const result = await receive(delivery, lambdaContext());

      expect(result.statusCode).toBe(401);
      expect(parse(result).status).toBe("unsigned");
      expect(eventbridge.commandCalls(PutEventsCommand)).toHaveLength(0);
    });

    it("answers 401 bad signature when the body was changed after signing", async () => {
      const delivery = await signedDelivery({ payload: pushPayload });
      const tampered = {
        ...delivery,
        body: pushPayload.replace('"ref":"refs/tags/simple-tag"', '"ref":"refs/heads/main"'),
      };
      expect(tampered.body).not.toBe(pushPayload);

      const result = await receive(tampered, lambdaContext());

      expect(result.statusCode).toBe(401);
      expect(parse(result).status).toBe("bad signature");
      expect(eventbridge.commandCalls(PutEventsCommand)).toHaveLength(0);
    });

    it("answers 401 bad signature when the body was signed with a secret Switchyard does not hold", async () => {
      const delivery = await signedDelivery({ payload: pushPayload, secret: "some-other-secret" });

      const result = await receive(delivery, lambdaContext());

      expect(result.statusCode).toBe(401);
      expect(parse(result).status).toBe("bad signature");
    });

    it("answers 401 bad signature for an empty body, which no signature can cover", async () => {
      const delivery = functionUrlEvent({
        headers: githubHeaders({
          event: "ping",
          id: randomUUID(),
          signature: await sign(CURRENT_SECRET, " "),
        }),
        body: "",
      });

      const result = await receive(delivery, lambdaContext());

      expect(result.statusCode).toBe(401);
      expect(parse(result).status).toBe("bad signature");
    });

    it("checks the signature before the headers, so an unsigned request learns nothing else", async () => {
      const delivery = functionUrlEvent({ headers: githubHeaders({}), body: "not json" });

      const result = await receive(delivery, lambdaContext());

      expect(result.statusCode).toBe(401);
    });

    it("verifies GitHub's documented test vector, then rejects its non-JSON body", async () => {
      // docs.github.com, "Validating webhook deliveries": secret, payload and expected signature.
      secrets
        .on(GetSecretValueCommand, { SecretId: SECRET_ID, VersionStage: "AWSCURRENT" })
        .resolves(secretVersion("AWSCURRENT", "It's a Secret to Everybody"));
      const delivery = functionUrlEvent({
        headers: githubHeaders({
          event: "ping",
          id: randomUUID(),
          signature: "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17",
        }),
        body: "Hello, World!",
      });

      const result = await receive(delivery, lambdaContext());

      expect(result.statusCode).toBe(400);
      expect(parse(result).reason).toMatch(/^body is not JSON/);
    });
  });

  describe("secret rotation", () => {
    it("reads both the AWSCURRENT and the AWSPENDING stage of the secret", async () => {
      await receive(await signedDelivery({ payload: pushPayload }), lambdaContext());

      expect(secrets.commandCalls(GetSecretValueCommand).map((call) => call.args[0].input)).toEqual(
        expect.arrayContaining([
          { SecretId: SECRET_ID, VersionStage: "AWSCURRENT" },
          { SecretId: SECRET_ID, VersionStage: "AWSPENDING" },
        ]),
      );
    });

    it("accepts a delivery signed with the pending secret while a rotation is under way", async () => {
      secrets
        .on(GetSecretValueCommand, { SecretId: SECRET_ID, VersionStage: "AWSPENDING" })
        .resolves(secretVersion("AWSPENDING", PENDING_SECRET));

      const result = await receive(
        await signedDelivery({ payload: pushPayload, secret: PENDING_SECRET }),
        lambdaContext(),
      );

      expect(result.statusCode).toBe(202);
    });

    it("still accepts the current secret while a rotation is under way", async () => {
      secrets
        .on(GetSecretValueCommand, { SecretId: SECRET_ID, VersionStage: "AWSPENDING" })
        .resolves(secretVersion("AWSPENDING", PENDING_SECRET));

      const result = await receive(
        await signedDelivery({ payload: pushPayload, secret: CURRENT_SECRET }),
        lambdaContext(),
      );

      expect(result.statusCode).toBe(202);
    });

    it("reuses the secret it read for deliveries within 60 seconds", async () => {
      await receive(await signedDelivery({ payload: pushPayload }), lambdaContext());
      clock += 59_000;

      await receive(await signedDelivery({ payload: pushPayload }), lambdaContext());

      expect(secrets.commandCalls(GetSecretValueCommand)).toHaveLength(2);
    });

    it("reads the secret again once the cached value is 60 seconds old", async () => {
      await receive(await signedDelivery({ payload: pushPayload }), lambdaContext());
      clock += 60_000;

      await receive(await signedDelivery({ payload: pushPayload }), lambdaContext());

      expect(secrets.commandCalls(GetSecretValueCommand)).toHaveLength(4);
    });

    it("rereads the secret on a mismatch and accepts a delivery signed with a secret that just rotated", async () => {
      await receive(await signedDelivery({ payload: pushPayload }), lambdaContext());
      secrets
        .on(GetSecretValueCommand, { SecretId: SECRET_ID, VersionStage: "AWSPENDING" })
        .resolves(secretVersion("AWSPENDING", PENDING_SECRET));
      clock += 1_000;

      const result = await receive(
        await signedDelivery({ payload: pushPayload, secret: PENDING_SECRET }),
        lambdaContext(),
      );

      expect(result.statusCode).toBe(202);
      expect(secrets.commandCalls(GetSecretValueCommand)).toHaveLength(4);
    });

    it("rereads at most once before rejecting a signature that matches no secret", async () => {
      await receive(await signedDelivery({ payload: pushPayload }), lambdaContext());

      const result = await receive(
        await signedDelivery({ payload: pushPayload, secret: "some-other-secret" }),
        lambdaContext(),
      );

      expect(result.statusCode).toBe(401);
      expect(secrets.commandCalls(GetSecretValueCommand)).toHaveLength(4);
    });

    it("never puts a secret value in a response", async () => {
      secrets
        .on(GetSecretValueCommand, { SecretId: SECRET_ID, VersionStage: "AWSPENDING" })
        .resolves(secretVersion("AWSPENDING", PENDING_SECRET));
      const requests = [
        await signedDelivery({ payload: pushPayload }),
        await signedDelivery({ payload: pushPayload, secret: "some-other-secret" }),
        await signedDelivery({ payload: "[]" }),
        functionUrlEvent({ headers: githubHeaders({ event: "push" }), body: pushPayload }),
      ];

      const bodies = await Promise.all(
        requests.map(async (request) => (await receive(request, lambdaContext())).body),
      );

      for (const body of bodies) {
        expect(body).not.toContain(CURRENT_SECRET);
        expect(body).not.toContain(PENDING_SECRET);
      }
    });
  });

  describe("malformed deliveries", () => {
    it("answers 400 naming x-github-event when that header is missing", async () => {
      const delivery = functionUrlEvent({
        headers: githubHeaders({ id: randomUUID(), signature: await sign(CURRENT_SECRET, pushPayload) }),
        body: pushPayload,
      });

      const result = await receive(delivery, lambdaContext());

      expect(result.statusCode).toBe(400);
      expect(parse(result).reason).toContain("missing x-github-event header");
    });

    it("answers 400 naming x-github-delivery when that header is missing", async () => {
      const delivery = functionUrlEvent({
        headers: githubHeaders({ event: "push", signature: await sign(CURRENT_SECRET, pushPayload) }),
        body: pushPayload,
      });

      const result = await receive(delivery, lambdaContext());

      expect(result.statusCode).toBe(400);
      expect(parse(result).reason).toContain("missing x-github-delivery header");
    });

    it("answers 400 when the signed body is not JSON", async () => {
      const result = await receive(
        await signedDelivery({ payload: '{"ref": "refs/heads/main"' }),
        lambdaContext(),
      );

      expect(result.statusCode).toBe(400);
      expect(parse(result).reason).toMatch(/^body is not JSON \(/);
      expect(eventbridge.commandCalls(PutEventsCommand)).toHaveLength(0);
    });

    it("tells the sender to switch to application/json when the webhook posts form-encoded payloads", async () => {
      const form = `payload=${encodeURIComponent(pushPayload)}`;
      const delivery = await signedDelivery({ payload: form });
      delivery.headers["content-type"] = "application/x-www-form-urlencoded";

      const result = await receive(delivery, lambdaContext());

      expect(result.statusCode).toBe(400);
      expect(parse(result).reason).toContain("set the webhook's content type to application/json");
    });

    it.each([
      ["[]", "an array"],
      ["null", "null"],
      ['"push"', "a string"],
      ["42", "a number"],
    ])("answers 400 when the signed body is JSON %s rather than an object", async (payload, kind) => {
      const result = await receive(await signedDelivery({ payload }), lambdaContext());

      expect(result.statusCode).toBe(400);
      expect(parse(result).reason).toBe(
        `body is JSON ${kind}, but a GitHub webhook payload is a JSON object`,
      );
    });
  });
});

describe("githubWebhookSettingsFromEnv", () => {
  it("reads the secret id, table and bus", () => {
    const settings = githubWebhookSettingsFromEnv({
      SWITCHYARD_WEBHOOK_SECRET_ID: SECRET_ID,
      SWITCHYARD_TABLE: "switchyard-state",
      SWITCHYARD_BUS: "switchyard",
    });

    expect(settings).toEqual({ secretId: SECRET_ID, tableName: "switchyard-state", busName: "switchyard" });
  });

  it("uses the default bus when SWITCHYARD_BUS is unset", () => {
    const settings = githubWebhookSettingsFromEnv({
      SWITCHYARD_WEBHOOK_SECRET_ID: SECRET_ID,
      SWITCHYARD_TABLE: "switchyard-state",
    });

    expect(settings.busName).toBe("default");
  });

  it("names every missing variable and how to set it", () => {
    expect(() => githubWebhookSettingsFromEnv({})).toThrow(
      [
        "GitHub webhook receiver is misconfigured:",
        "SWITCHYARD_WEBHOOK_SECRET_ID: SWITCHYARD_WEBHOOK_SECRET_ID is not set: set it to the Secrets Manager id of the GitHub webhook secret",
        "SWITCHYARD_TABLE: SWITCHYARD_TABLE is not set: set it to the name of the Switchyard state table",
      ].join("\n"),
    );
  });
});
