import { EventBridgeClient } from "@aws-sdk/client-eventbridge";
import { SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { SQSClient } from "@aws-sdk/client-sqs";
import type { ClientConstructors } from "@switchyard/core/aws/clients";
import { logger } from "@switchyard/core/observability/logger";
import { pgClient, type SqlClient } from "@switchyard/core/secrets/sql";
import { type SweepResult, sweepStuck } from "@switchyard/core/secrets/stuck";
import * as z from "zod";
import { type ContextProvider, environmentContext, eventHandler } from "./runtime.ts";

/** What EventBridge sends a scheduled rule's target (only the fields this function relies on). */
const ScheduledEvent = z.object({
  id: z.string().min(1),
  source: z.literal("aws.events"),
  "detail-type": z.literal("Scheduled Event"),
});

const REACTION = "secrets-stuck";

/**
 * The hourly sweep (an EventBridge schedule): a rotation left AWSPENDING blocks every later one,
 * so each is reported on the bus and recovered. A misrouted invocation is rejected (and
 * dead-lettered by the chain, as the bus functions' are): never acted on.
 */
export const make = (provider: ContextProvider, sql: SqlClient = pgClient) =>
  eventHandler(
    REACTION,
    provider,
    async (raw, ctx): Promise<SweepResult | { outcome: "rejected"; reason: string }> => {
      const parsed = ScheduledEvent.safeParse(raw);
      logger.appendKeys({ correlationId: parsed.success ? parsed.data.id : "unknown" });
      if (!parsed.success)
        return {
          outcome: "rejected",
          reason:
            "not an EventBridge Scheduled Event: only the secrets-stuck-check schedule invokes this function",
        };
      return sweepStuck({ clients: ctx.clients, sql, store: ctx.store }, ctx.config.secrets, parsed.data.id);
    },
  );

/** The AWS clients this function's code uses: only these SDK packages go into its bundle. */
export const clients = {
  eventbridge: EventBridgeClient,
  secrets: SecretsManagerClient,
  sqs: SQSClient,
} satisfies ClientConstructors;

export const handler = make(environmentContext(clients));
