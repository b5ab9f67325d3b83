import { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware";
import middy from "@middy/core";
import { logger } from "@switchyard/core/observability/logger";
import { runRotationStep } from "@switchyard/core/secrets/protocol";
import { pgClient, type SqlClient } from "@switchyard/core/secrets/sql";
import { type ContextProvider, environmentContext } from "./runtime.ts";

/**
 * The Secrets Manager rotation function of every secret Switchyard rotates. Errors are thrown
 * on purpose, by name (NotRotationEnabled, TokenNotPending, UnknownStep, InvalidSecret...):
 * Secrets Manager marks the rotation failed and retries it; nothing was written before the error.
 */
export const make = (provider: ContextProvider, sql: SqlClient = pgClient) =>
  middy(async (raw: unknown) => {
    const ctx = provider();
    const token = (raw as { ClientRequestToken?: unknown } | null)?.ClientRequestToken;
    logger.appendKeys({ reaction: "rotate", correlationId: typeof token === "string" ? token : "unknown" });
    try {
      return await runRotationStep({ clients: ctx.clients, sql, secrets: ctx.config.secrets }, raw);
    } catch (error) {
      logger.warn("rotation step failed", {
        error: (error as Error).name,
        message: (error as Error).message,
      });
      throw error;
    }
  }).use(injectLambdaContext(logger, { resetKeys: true }));

export const handler = make(environmentContext);
