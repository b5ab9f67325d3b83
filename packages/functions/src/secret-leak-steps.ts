import { SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { SNSClient } from "@aws-sdk/client-sns";
import type { ClientConstructors } from "@switchyard/core/aws/clients";
import { rotateOnLeakUnit } from "@switchyard/core/secrets/leak-unit";
import { pgClient, type SqlClient } from "@switchyard/core/secrets/sql";
import { type ContextProvider, environmentContext, stepHandler } from "./runtime.ts";

/** The rotate-on-leak state machine's task function; errors are thrown by name for its Retry/Catch. */
export const make = (provider: ContextProvider, sql: SqlClient = pgClient) =>
  stepHandler(rotateOnLeakUnit, () => ({ ...provider(), sql }));

/** The AWS clients this function's code uses: only these SDK packages go into its bundle. */
export const clients = { secrets: SecretsManagerClient, sns: SNSClient } satisfies ClientConstructors;

export const handler = make(environmentContext(clients));
