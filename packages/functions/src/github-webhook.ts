import { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware";
import { EventBridgeClient } from "@aws-sdk/client-eventbridge";
import { SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import middy from "@middy/core";
import { type AwsClients, type ClientConstructors, createClients } from "@switchyard/core/aws/clients";
import {
  createGithubWebhookReceiver,
  type GithubWebhookReceiver,
  type GithubWebhookSettings,
  githubWebhookSettingsFromEnv,
} from "@switchyard/core/github/receiver";
import { logger } from "@switchyard/core/observability/logger";
import type { APIGatewayProxyEventV2, APIGatewayProxyResultV2, Context } from "aws-lambda";

/** What the receiver needs: its clients and its settings (secret id, table, bus). */
export type WebhookContextProvider = () => {
  clients: AwsClients;
  settings: GithubWebhookSettings;
  now?: () => number;
};

/** The AWS clients this function's code uses: only these SDK packages go into its bundle. */
export const clients = {
  eventbridge: EventBridgeClient,
  secrets: SecretsManagerClient,
} satisfies ClientConstructors;

/** In AWS: clients once per container, settings from the environment the stack sets. */
const fromEnvironment: WebhookContextProvider = () => ({
  clients: createClients(clients),
  settings: githubWebhookSettingsFromEnv(process.env),
});

/** GitHub webhook receiver behind a function URL: verify, deduplicate, put on the bus. */
export const make = (provider: WebhookContextProvider) => {
  let receiver: GithubWebhookReceiver | undefined;
  const receive = async (
    event: APIGatewayProxyEventV2,
    context: Context,
  ): Promise<APIGatewayProxyResultV2> => {
    const deliveryId = event.headers?.["x-github-delivery"];
    if (deliveryId) logger.appendKeys({ correlationId: deliveryId });
    try {
      // Built on first use, not at import, so a misconfigured environment is answered (and logged)
      // like any other failure instead of crashing the container's init phase.
      if (!receiver) {
        const { clients, settings, now } = provider();
        receiver = createGithubWebhookReceiver({ clients, ...settings, ...(now ? { now } : {}) });
      }
      return await receiver(event, context);
    } catch (error) {
      // GitHub shows response bodies to repository admins: the details stay in the log.
      logger.error("GitHub webhook receiver failed", { error });
      return {
        statusCode: 500,
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ status: "error", reason: "internal error; redeliver the delivery later" }),
      };
    }
  };
  return middy(receive).use(injectLambdaContext(logger, { resetKeys: true }));
};

export const handler = make(fromEnvironment);
