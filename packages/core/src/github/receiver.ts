import { randomUUID } from "node:crypto";
import {
  IdempotencyAlreadyInProgressError,
  IdempotencyConfig,
  makeIdempotent,
} from "@aws-lambda-powertools/idempotency";
import { DynamoDBPersistenceLayer } from "@aws-lambda-powertools/idempotency/dynamodb";
import { PutEventsCommand, type PutEventsRequestEntry } from "@aws-sdk/client-eventbridge";
import { GetSecretValueCommand } from "@aws-sdk/client-secrets-manager";
import { verify } from "@octokit/webhooks-methods";
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from "aws-lambda";
import * as z from "zod";
import type { AwsClients } from "../aws/clients.ts";
import { logger } from "../observability/logger.ts";
import { stateTable } from "../store/table.ts";
import { formatZodIssues } from "../util/zod-error.ts";

/**
 * EventBridge's PutEvents entry limit. The payload becomes the event's `detail`, so a payload that
 * cannot fit in one entry can never be forwarded: refusing it up front with 413 tells the sender why,
 * where a later PutEvents failure would look like a transient 502 and invite endless redeliveries.
 */
const MAX_ENTRY_BYTES = 262_144;
/** PutEvents counts a present `Time` as 14 bytes (docs: "Calculating PutEvents event entry size"). */
const TIME_ENTRY_BYTES = 14;
const SOURCE = "github.com";
const SECRET_TTL_MS = 60_000;
const DELIVERY_RETENTION_SECONDS = 7 * 86_400;

const SIGNATURE_HEADER = "x-hub-signature-256";
const EVENT_HEADER = "x-github-event";
const DELIVERY_HEADER = "x-github-delivery";

/** Where the receiver reads its settings; validated once per container by `githubWebhookSettingsFromEnv`. */
export interface GithubWebhookSettings {
  /** Secrets Manager id (name or ARN) of the webhook secret, a plain SecretString. */
  secretId: string;
  /** The state table (see `store/table.ts`), which holds the delivery ids already forwarded. */
  tableName: string;
  busName: string;
}

export interface GithubWebhookReceiverOptions extends GithubWebhookSettings {
  clients: Pick<AwsClients, "secrets" | "eventbridge" | "dynamodb">;
  /** Epoch milliseconds; drives the secret cache and the event's `Time`. */
  now?: () => number;
}

export type GithubWebhookReceiver = (
  event: APIGatewayProxyEventV2,
  context: Context,
) => Promise<APIGatewayProxyStructuredResultV2>;

const nonEmpty = (name: string, fix: string) =>
  z.string({ error: `${name} is not set: ${fix}` }).min(1, `${name} is empty: ${fix}`);

const SettingsEnv = z.object({
  SWITCHYARD_WEBHOOK_SECRET_ID: nonEmpty(
    "SWITCHYARD_WEBHOOK_SECRET_ID",
    "set it to the Secrets Manager id of the GitHub webhook secret",
  ),
  [stateTable.envVar]: nonEmpty(stateTable.envVar, "set it to the name of the Switchyard state table"),
  SWITCHYARD_BUS: nonEmpty("SWITCHYARD_BUS", "unset it to use the default bus, or name an event bus").default(
    "default",
  ),
});

/** Reads and checks the receiver's environment; the error lists every variable that is wrong and the fix. */
export function githubWebhookSettingsFromEnv(env: Record<string, string | undefined>): GithubWebhookSettings {
  const parsed = SettingsEnv.safeParse(env);
  if (!parsed.success) {
    throw new Error(`GitHub webhook receiver is misconfigured:\n${formatZodIssues(parsed.error).join("\n")}`);
  }
  return {
    secretId: parsed.data.SWITCHYARD_WEBHOOK_SECRET_ID,
    tableName: parsed.data[stateTable.envVar],
    busName: parsed.data.SWITCHYARD_BUS,
  };
}

/**
 * Builds the receiver once per container: it holds the secret cache and the idempotency store.
 * Checks run cheapest and least trusting first: size, signature, headers and JSON, dedupe, put.
 */
export function createGithubWebhookReceiver(options: GithubWebhookReceiverOptions): GithubWebhookReceiver {
  const now = options.now ?? Date.now;
  const secrets = webhookSecrets(options.clients.secrets, options.secretId, now);
  const forwardOnce = idempotentForwarder(options, now);

  return async (event, context) => {
    const headers = lowerCaseKeys(event.headers);
    const body = rawBody(event);

    const entryBytes =
      TIME_ENTRY_BYTES + utf8Bytes(SOURCE) + utf8Bytes(headers[EVENT_HEADER] ?? "") + body.byteLength;
    if (entryBytes > MAX_ENTRY_BYTES) {
      return reject(
        413,
        "payload too large",
        `the payload is ${body.byteLength} bytes; as an EventBridge PutEvents entry (detail plus source, ` +
          `detail-type and time) it would be ${entryBytes} bytes, over the ${MAX_ENTRY_BYTES}-byte entry ` +
          "limit, and the payload must travel whole as the event's detail",
      );
    }

    const signature = headers[SIGNATURE_HEADER];
    if (!signature) {
      return reject(
        401,
        "unsigned",
        `the ${SIGNATURE_HEADER} header is missing: give the GitHub webhook a secret so GitHub signs deliveries`,
      );
    }
    const payload = body.byteLength === 0 ? undefined : decodeUtf8(body);
    if (payload === undefined) {
      return reject(401, "bad signature", "the body is empty or not UTF-8, so no signature can cover it");
    }
    if (!(await secrets.verify(payload, signature))) {
      return reject(
        401,
        "bad signature",
        `${SIGNATURE_HEADER} does not match the body under the current or pending webhook secret`,
      );
    }

    const request = readSignedRequest(headers, payload);
    if ("malformed" in request) return reject(400, "bad request", request.malformed);
    const { eventName, deliveryId, contentKey } = request;

    const attempt = randomUUID();
    try {
      const forwarded = await forwardOnce({ deliveryId, contentKey, eventName, payload, attempt }, context);
      if (forwarded.attempt === attempt) {
        logger.info("GitHub delivery forwarded", { githubEvent: eventName, eventId: forwarded.eventId });
        return respond(202, { status: "accepted", eventId: forwarded.eventId });
      }
      logger.info("GitHub delivery already forwarded; not forwarding it again", {
        githubEvent: eventName,
        eventId: forwarded.eventId,
      });
      return respond(200, { status: "duplicate", eventId: forwarded.eventId });
    } catch (error) {
      if (error instanceof IdempotencyAlreadyInProgressError) {
        return reject(
          409,
          "in progress",
          `delivery ${deliveryId} is being forwarded by another invocation; redeliver it if that one fails`,
        );
      }
      if (error instanceof ForwardFailed) {
        logger.error("GitHub delivery not forwarded", { error });
        return reject(502, "not forwarded", `${error.message}; the delivery was not recorded, redeliver it`);
      }
      throw error;
    }
  };
}

interface Delivery {
  deliveryId: string;
  /**
   * What the delivery is about, when its payload says (`release:<id>:<action>`,
   * `deployment:<id>:<action>`), else `delivery:<X-GitHub-Delivery>`. The idempotency key: the
   * delivery id is not covered by the signature, so a captured delivery resent under a new id
   * must still be recognised as the same release or deployment.
   */
  contentKey: string;
  eventName: string;
  /** The raw body, exactly as signed. */
  payload: string;
  /** Unique per receiver call: a stored result carrying another attempt's id means a repeat delivery. */
  attempt: string;
}

interface Forwarded {
  eventId: string;
  attempt: string;
}

class ForwardFailed extends Error {
  override name = "ForwardFailed";
}

function idempotentForwarder(options: GithubWebhookReceiverOptions, now: () => number) {
  const forward = async (delivery: Delivery, _context: Context): Promise<Forwarded> => {
    const entry: PutEventsRequestEntry = {
      EventBusName: options.busName,
      Source: SOURCE,
      DetailType: delivery.eventName,
      Detail: delivery.payload,
      Resources: [],
      Time: new Date(now()),
    };
    const output = await options.clients.eventbridge
      .send(new PutEventsCommand({ Entries: [entry] }))
      .catch((error: unknown) => {
        throw new ForwardFailed(`PutEvents failed: ${error instanceof Error ? error.name : String(error)}`, {
          cause: error,
        });
      });
    // PutEvents reports a rejected entry in the response, not as an exception. Throwing here makes
    // Powertools delete the in-progress record, so GitHub's redelivery is forwarded, not deduplicated.
    const result = output.Entries?.[0];
    if ((output.FailedEntryCount ?? 0) > 0 || !result?.EventId) {
      throw new ForwardFailed(
        `EventBridge rejected the event: ${result?.ErrorCode ?? "no EventId returned"}` +
          (result?.ErrorMessage ? ` (${result.ErrorMessage})` : ""),
      );
    }
    return { eventId: result.EventId, attempt: delivery.attempt };
  };

  // The Lambda context passed as the second argument lets Powertools bound the in-progress lock by
  // the invocation's remaining time: a delivery whose invocation died mid-put can be redelivered
  // once that time has passed, instead of being locked for the whole retention period.
  return makeIdempotent(forward, {
    persistenceStore: new DynamoDBPersistenceLayer({
      tableName: options.tableName,
      keyAttr: stateTable.partitionKey,
      sortKeyAttr: stateTable.sortKey,
      expiryAttr: stateTable.ttlAttribute,
      staticPkValue: "idempotency#github-webhook",
      awsSdkV3Client: options.clients.dynamodb,
    }),
    config: new IdempotencyConfig({
      eventKeyJmesPath: "contentKey",
      throwOnNoIdempotencyKey: true,
      expiresAfterSeconds: DELIVERY_RETENTION_SECONDS,
    }),
    keyPrefix: "github-delivery",
  });
}

/**
 * The webhook secret's current and, during a rotation, pending values. GitHub is switched to the
 * new secret while it is still AWSPENDING, so both must verify or deliveries fail mid-rotation.
 * Values are cached for a short TTL; a mismatch against cached values refetches once, since the
 * secret may have rotated since they were read. The values never leave this closure.
 */
function webhookSecrets(client: AwsClients["secrets"], secretId: string, now: () => number) {
  let cached: { values: readonly string[]; fetchedAt: number } | undefined;

  const stage = async (versionStage: "AWSCURRENT" | "AWSPENDING"): Promise<string | undefined> => {
    try {
      const output = await client.send(
        new GetSecretValueCommand({ SecretId: secretId, VersionStage: versionStage }),
      );
      if (output.SecretString === undefined) {
        throw new Error(
          `secret ${secretId} (${versionStage}) has no SecretString: store the webhook secret as plain text`,
        );
      }
      return output.SecretString;
    } catch (error) {
      // No AWSPENDING version simply means no rotation is under way.
      if (
        versionStage === "AWSPENDING" &&
        error instanceof Error &&
        error.name === "ResourceNotFoundException"
      ) {
        return undefined;
      }
      throw error;
    }
  };

  const refresh = async (): Promise<readonly string[]> => {
    const values = await Promise.all([stage("AWSCURRENT"), stage("AWSPENDING")]);
    const distinct = [...new Set(values.filter((value): value is string => value !== undefined))];
    cached = { values: distinct, fetchedAt: now() };
    return distinct;
  };

  const matchesAny = async (values: readonly string[], payload: string, signature: string) => {
    for (const secret of values) {
      if (await verify(secret, payload, signature)) return true;
    }
    return false;
  };

  return {
    async verify(payload: string, signature: string): Promise<boolean> {
      if (cached && now() - cached.fetchedAt < SECRET_TTL_MS) {
        if (await matchesAny(cached.values, payload, signature)) return true;
        logger.info("signature matches no cached webhook secret; rereading the secret once");
      }
      return matchesAny(await refresh(), payload, signature);
    },
  };
}

/** The headers and JSON a correctly signed request must carry, or what is wrong with them. */
function readSignedRequest(
  headers: Record<string, string | undefined>,
  payload: string,
): { eventName: string; deliveryId: string; contentKey: string } | { malformed: string } {
  const eventName = headers[EVENT_HEADER];
  const deliveryId = headers[DELIVERY_HEADER];
  if (!eventName || !deliveryId) {
    const missing = [EVENT_HEADER, DELIVERY_HEADER].filter((name) => !headers[name]);
    return {
      malformed: `missing ${missing.join(" and ")} header${missing.length > 1 ? "s" : ""}: GitHub sets both on every delivery`,
    };
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(payload);
  } catch (error) {
    const formHint = headers["content-type"]?.startsWith("application/x-www-form-urlencoded")
      ? "; set the webhook's content type to application/json"
      : "";
    return {
      malformed: `body is not JSON (${error instanceof Error ? error.message : String(error)})${formHint}`,
    };
  }
  if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) {
    const kind = parsed === null ? "null" : Array.isArray(parsed) ? "an array" : `a ${typeof parsed}`;
    return { malformed: `body is JSON ${kind}, but a GitHub webhook payload is a JSON object` };
  }
  return {
    eventName,
    deliveryId,
    contentKey: contentKey(eventName, deliveryId, parsed as Record<string, unknown>),
  };
}

/** The GitHub events whose payload names the thing delivered: one release or deployment, by id. */
const CONTENT_IDENTITY: Readonly<Record<string, string>> = { release: "release", deployment: "deployment" };

/** The idempotency key of a delivery: its content's identity where the payload has one, else its delivery id. */
function contentKey(eventName: string, deliveryId: string, payload: Record<string, unknown>): string {
  const field = Object.hasOwn(CONTENT_IDENTITY, eventName) ? CONTENT_IDENTITY[eventName] : undefined;
  const item = field === undefined ? undefined : payload[field];
  const id = typeof item === "object" && item !== null ? (item as Record<string, unknown>).id : undefined;
  const action = typeof payload.action === "string" ? payload.action.slice(0, 64) : "";
  if (typeof id === "number" && Number.isSafeInteger(id)) return `${eventName}:${id}:${action}`;
  return `delivery:${deliveryId.slice(0, 256)}`;
}

function rawBody(event: APIGatewayProxyEventV2): Buffer {
  if (event.body === undefined) return Buffer.alloc(0);
  return Buffer.from(event.body, event.isBase64Encoded ? "base64" : "utf8");
}

// Fatal, BOM-preserving decoding: the string handed to verify() re-encodes to exactly the bytes
// that were signed, or the body is refused.
const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
function decodeUtf8(bytes: Buffer): string | undefined {
  try {
    return utf8.decode(bytes);
  } catch {
    return undefined;
  }
}

function utf8Bytes(text: string): number {
  return Buffer.byteLength(text, "utf8");
}

function lowerCaseKeys(headers: APIGatewayProxyEventV2["headers"]): Record<string, string | undefined> {
  return Object.fromEntries(
    Object.entries(headers ?? {}).map(([name, value]) => [name.toLowerCase(), value]),
  );
}

function respond(statusCode: number, body: Record<string, string>): APIGatewayProxyStructuredResultV2 {
  return { statusCode, headers: { "content-type": "application/json" }, body: JSON.stringify(body) };
}

function reject(statusCode: number, status: string, reason: string): APIGatewayProxyStructuredResultV2 {
  logger.info("GitHub delivery rejected", { statusCode, status, reason });
  return respond(statusCode, { status, reason });
}
