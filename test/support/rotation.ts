import {
  DescribeSecretCommand,
  GetSecretValueCommand,
  RotateSecretCommand,
} from "@aws-sdk/client-secrets-manager";
import type { Context } from "aws-lambda";
import { createAllClients } from "../../packages/core/src/aws/all-clients.ts";
import type { AwsClients } from "../../packages/core/src/aws/clients.ts";
import { type Config, parseConfig } from "../../packages/core/src/config/index.ts";
import type { ConfigInput } from "../../packages/core/src/config/schema.ts";
import { pgClient, type SqlClient } from "../../packages/core/src/secrets/sql.ts";
import { make } from "../../packages/functions/src/rotate.ts";
import type { FunctionContext } from "../../packages/functions/src/runtime.ts";
import { localCredentials, SimulatedAccount } from "../../packages/sim/src/index.ts";

export const ROTATE_FUNCTION = "switchyard-rotate";

/** A simulated account with Switchyard's rotation function registered, for the configured secrets. */
export function rotationWorld(secrets: NonNullable<ConfigInput["secrets"]>, sql: SqlClient = pgClient) {
  const config: Config = parseConfig({ secrets });
  const account = new SimulatedAccount();
  const clients: AwsClients = createAllClients({
    region: account.region,
    credentials: localCredentials,
    attach: (client) => account.attach(client),
  });
  const handler = make(() => ({ clients, config }) as unknown as FunctionContext, sql);
  account.lambda.registerHandler(ROTATE_FUNCTION, async (event, ctx) =>
    handler(event, ctx as unknown as Context),
  );
  const rotateArn = account.lambda.functionArn(ROTATE_FUNCTION);
  /** RotateSecret as the schedule (or an operator) sends it. */
  const rotate = (secretId: string, token?: string) =>
    clients.secrets.send(
      new RotateSecretCommand({
        SecretId: secretId,
        RotationLambdaARN: rotateArn,
        RotationRules: { ScheduleExpression: "rate(7 days)" },
        ...(token ? { ClientRequestToken: token } : {}),
      }),
    );
  return {
    account,
    clients,
    config,
    rotateArn,
    rotate,
    /**
     * A rotation under `token` that stops before its stages move (UpdateSecretVersionStage keeps
     * failing), so AWSPENDING is left behind: a stuck rotation.
     */
    rotateStuck: async (secretId: string, token: string) => {
      account.injectFault({
        service: "secretsmanager",
        action: "UpdateSecretVersionStage",
        error: "InternalServiceError",
      });
      await rotate(secretId, token);
    },
    /** Enables rotation without rotating, so a test can drive the steps itself. */
    enable: (secretId: string) =>
      clients.secrets.send(
        new RotateSecretCommand({
          SecretId: secretId,
          RotationLambdaARN: rotateArn,
          RotateImmediately: false,
        }),
      ),
    invoke: (payload: unknown) => account.lambda.invoke(ROTATE_FUNCTION, payload, { principal: "test" }),
    stages: async (secretId: string) =>
      (await clients.secrets.send(new DescribeSecretCommand({ SecretId: secretId }))).VersionIdsToStages ??
      {},
    value: async (secretId: string, stage = "AWSCURRENT") =>
      (await clients.secrets.send(new GetSecretValueCommand({ SecretId: secretId, VersionStage: stage })))
        .SecretString ?? "",
  };
}
