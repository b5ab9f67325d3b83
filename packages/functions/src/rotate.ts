import { SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import type { ClientConstructors } from "@switchyard/core/aws/clients";
import { rotationUnit } from "@switchyard/core/secrets/rotation-unit";
import { pgClient, type SqlClient } from "@switchyard/core/secrets/sql";
import { type ContextProvider, environmentContext, stepHandler } from "./runtime.ts";

/**
 * The Secrets Manager rotation function of every secret Switchyard rotates. Errors are thrown
 * on purpose, by name (NotRotationEnabled, TokenNotPending, UnknownStep, InvalidSecret...):
 * Secrets Manager marks the rotation failed and retries it; nothing was written before the error.
 */
export const make = (provider: ContextProvider, sql: SqlClient = pgClient) =>
  stepHandler(rotationUnit, () => {
    const ctx = provider();
    return { clients: ctx.clients, sql, secrets: ctx.config.secrets };
  });

/** The AWS clients this function's code uses: only these SDK packages go into its bundle. */
export const clients = { secrets: SecretsManagerClient } satisfies ClientConstructors;

export const handler = make(environmentContext(clients));
