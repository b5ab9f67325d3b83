import { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware";
import middy from "@middy/core";
import { createClients } from "@switchyard/core/aws/clients";
import {
  createGithubWebhookReceiver,
  type GithubWebhookReceiver,
  githubWebhookSettingsFromEnv,
} from "@switchyard/core/github/receiver";
import { logger } from "@switchyard/core/observability/logger";
import type { APIGatewayProxyEventV2, APIGatewayProxyResultV2, Context } from "aws-lambda";

// Once per container: the clients, and the receiver with its secret cache.
const clients = createClients();
let receiver: GithubWebhookReceiver | undefined;

async function receiveGithubWebhook(
  event: APIGatewayProxyEventV2,
  context: Context,
): Promise<APIGatewayProxyResultV2> {
  const deliveryId = event.headers?.["x-github-delivery"];
  if (deliveryId) logger.appendKeys({ correlationId: deliveryId });
  try {
    // Built on first use, not at import, so a misconfigured environment is answered (and logged)
    // like any other failure instead of crashing the container's init phase.
    receiver ??= createGithubWebhookReceiver({ clients, ...githubWebhookSettingsFromEnv(process.env) });
    return await receiver(event, context);
  } catch (error) {
    // GitHub shows response bodies to repository admins: the details stay in the log.
    logger.error("GitHub webhook receiver failed", { error });
    return {
      statusCode: 500,
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        status: "error",
        reason: "internal error; redeliver the delivery later",
      }),
    };
  }
}

export const handler = middy(receiveGithubWebhook).use(injectLambdaContext(logger, { resetKeys: true }));
