import { ECSClient } from "@aws-sdk/client-ecs";
import { EventBridgeClient } from "@aws-sdk/client-eventbridge";
import { LambdaClient } from "@aws-sdk/client-lambda";
import { RDSClient } from "@aws-sdk/client-rds";
import { SFNClient } from "@aws-sdk/client-sfn";
import { SNSClient } from "@aws-sdk/client-sns";
import type { ClientConstructors } from "@switchyard/core/aws/clients";
import { costUnit } from "@switchyard/core/cost/unit";
import { type ContextProvider, environmentContext, stepHandler } from "./runtime.ts";

/**
 * The cost-response state machine's task function. Errors are thrown on purpose: their names
 * (StaleExecution, Throttled, InvalidInput) are what the state machine's Retry and Catch match.
 */
export const make = (provider: ContextProvider) => stepHandler(costUnit, provider);

/**
 * The AWS clients this function's code uses: only these SDK packages go into its bundle. No EC2:
 * the state machine makes the EC2 calls (ADR 0030).
 */
export const clients = {
  ecs: ECSClient,
  eventbridge: EventBridgeClient,
  lambda: LambdaClient,
  rds: RDSClient,
  sfn: SFNClient,
  sns: SNSClient,
} satisfies ClientConstructors;

export const handler = make(environmentContext(clients));
