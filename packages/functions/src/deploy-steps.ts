import { CloudWatchClient } from "@aws-sdk/client-cloudwatch";
import { LambdaClient } from "@aws-sdk/client-lambda";
import { SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { SFNClient } from "@aws-sdk/client-sfn";
import { SNSClient } from "@aws-sdk/client-sns";
import type { ClientConstructors } from "@switchyard/core/aws/clients";
import { deployUnit } from "@switchyard/core/deployments/unit";
import { type ContextProvider, environmentContext, stepHandler } from "./runtime.ts";

/**
 * The deploy state machine's task function. Errors are thrown on purpose: their names
 * (StaleExecution, PreconditionFailed, Throttled, ...) are what the state machine's
 * Retry and Catch match.
 */
export const make = (provider: ContextProvider) => stepHandler(deployUnit, provider);

/** The AWS clients this function's code uses: only these SDK packages go into its bundle. */
export const clients = {
  cloudwatch: CloudWatchClient,
  lambda: LambdaClient,
  // The GitHub token for deployment statuses (github/statuses.ts).
  secrets: SecretsManagerClient,
  sfn: SFNClient,
  sns: SNSClient,
} satisfies ClientConstructors;

export const handler = make(environmentContext(clients));
