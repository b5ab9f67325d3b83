import { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware";
import { EventBridgeClient } from "@aws-sdk/client-eventbridge";
import { SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { SendMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
import middy from "@middy/core";
import type { ClientConstructors } from "@switchyard/core/aws/clients";
import { logger } from "@switchyard/core/observability/logger";
import { pgClient, type SqlClient } from "@switchyard/core/secrets/sql";
import { type SweepResult, sweepStuck } from "@switchyard/core/secrets/stuck";
import * as z from "zod";
import { type ContextProvider, environmentContext, type FunctionContext } from "./runtime.ts";

/** What EventBridge sends a scheduled rule's target (only the fields this function relies on). */
const ScheduledEvent = z.object({
  id: z.string().min(1),
  source: z.literal("aws.events"),
  "detail-type": z.literal("Scheduled Event"),
});

const REACTION = "secrets-stuck";

/** A misrouted invocation is dead-lettered with its reason, as the bus functions do: never acted on. */
async function deadLetter(ctx: FunctionContext, raw: unknown, reason: string): Promise<void> {
  logger.warn("event rejected", { reason });
  if (!ctx.dlqUrl) return;
  try {
    await ctx.clients.sqs.send(
      new SendMessageCommand({
        QueueUrl: ctx.dlqUrl,
        MessageBody: JSON.stringify({ reaction: REACTION, reason, event: raw }),
        MessageAttributes: {
          reaction: { DataType: "String", StringValue: REACTION },
          reason: { DataType: "String", StringValue: reason.slice(0, 1000) },
        },
      }),
    );
  } catch (error) {
    logger.error("could not dead-letter a rejected event", { error: (error as Error).name });
  }
}

/**
 * The hourly sweep (an EventBridge schedule): a rotation left AWSPENDING blocks every later one,
 * so each is reported on the bus and recovered.
 */
export const make = (provider: ContextProvider, sql: SqlClient = pgClient) =>
  middy(async (raw: unknown): Promise<SweepResult | { outcome: "rejected"; reason: string }> => {
    const ctx = provider();
    const parsed = ScheduledEvent.safeParse(raw);
    logger.appendKeys({ reaction: REACTION, correlationId: parsed.success ? parsed.data.id : "unknown" });
    if (!parsed.success) {
      const reason =
        "not an EventBridge Scheduled Event: only the secrets-stuck-check schedule invokes this function";
      await deadLetter(ctx, raw, reason);
      return { outcome: "rejected", reason };
    }
    return sweepStuck({ clients: ctx.clients, sql, store: ctx.store }, ctx.config.secrets, parsed.data.id);
  }).use(injectLambdaContext(logger, { resetKeys: true }));

/** The AWS clients this function's code uses: only these SDK packages go into its bundle. */
export const clients = {
  eventbridge: EventBridgeClient,
  secrets: SecretsManagerClient,
  sqs: SQSClient,
} satisfies ClientConstructors;

export const handler = make(environmentContext(clients));
