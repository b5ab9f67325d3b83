import { CloudWatchClient } from "@aws-sdk/client-cloudwatch";
import { SFNClient } from "@aws-sdk/client-sfn";
import { SNSClient } from "@aws-sdk/client-sns";
import type { ClientConstructors } from "@switchyard/core/aws/clients";
import { failoverUnit } from "@switchyard/core/failover/unit";
import { type ContextProvider, environmentContext, stepHandler } from "./runtime.ts";

/**
 * The failover state machine's task function. Errors are thrown on purpose: their names
 * (InvalidInput, VerificationFailed, Throttled, ...) are what the state machine matches.
 */
export const make = (provider: ContextProvider) => stepHandler(failoverUnit, provider);

/** The AWS clients this function's code uses: only these SDK packages go into its bundle. */
export const clients = {
  cloudwatch: CloudWatchClient,
  sfn: SFNClient,
  sns: SNSClient,
} satisfies ClientConstructors;

export const handler = make(environmentContext(clients));
