import { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware";
import { SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { SNSClient } from "@aws-sdk/client-sns";
import middy from "@middy/core";
import type { ClientConstructors } from "@switchyard/core/aws/clients";
import { logger } from "@switchyard/core/observability/logger";
import { runLeakStep } from "@switchyard/core/secrets/leak";
import { pgClient, type SqlClient } from "@switchyard/core/secrets/sql";
import { type ContextProvider, environmentContext } from "./runtime.ts";

/** The rotate-on-leak state machine's task function; errors are thrown by name for its Retry/Catch. */
export const make = (provider: ContextProvider, sql: SqlClient = pgClient) =>
  middy(async (raw: unknown) => {
    try {
      return await runLeakStep({ ...provider(), sql }, raw);
    } catch (error) {
      logger.warn("rotate-on-leak step failed", {
        error: (error as Error).name,
        message: (error as Error).message,
      });
      throw error;
    }
  }).use(injectLambdaContext(logger, { resetKeys: true }));

/** The AWS clients this function's code uses: only these SDK packages go into its bundle. */
export const clients = { secrets: SecretsManagerClient, sns: SNSClient } satisfies ClientConstructors;

export const handler = make(environmentContext(clients));
