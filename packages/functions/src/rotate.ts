import { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware";
import { SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import middy from "@middy/core";
import type { ClientConstructors } from "@switchyard/core/aws/clients";
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

/** The AWS clients this function's code uses: only these SDK packages go into its bundle. */
export const clients = { secrets: SecretsManagerClient } satisfies ClientConstructors;

export const handler = make(environmentContext(clients));
