import { LambdaClient } from "@aws-sdk/client-lambda";
import { SFNClient } from "@aws-sdk/client-sfn";
import { SNSClient } from "@aws-sdk/client-sns";
import { SQSClient } from "@aws-sdk/client-sqs";
import type { ClientConstructors } from "@switchyard/core/aws/clients";

/**
 * The AWS clients every deploy bus function uses (deploy-trigger, deploy-watch, rollback): the
 * alias, the executions, notifications and the dead-letter queue. Each adds its own.
 */
export const deployClients = {
  lambda: LambdaClient,
  sfn: SFNClient,
  sns: SNSClient,
  sqs: SQSClient,
} satisfies ClientConstructors;
