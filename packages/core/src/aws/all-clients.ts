import { AutoScalingClient } from "@aws-sdk/client-auto-scaling";
import { CloudWatchClient } from "@aws-sdk/client-cloudwatch";
import { EC2Client } from "@aws-sdk/client-ec2";
import { ECRClient } from "@aws-sdk/client-ecr";
import { ECSClient } from "@aws-sdk/client-ecs";
import { EventBridgeClient } from "@aws-sdk/client-eventbridge";
import { LambdaClient } from "@aws-sdk/client-lambda";
import { RDSClient } from "@aws-sdk/client-rds";
import { SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { SFNClient } from "@aws-sdk/client-sfn";
import { SNSClient } from "@aws-sdk/client-sns";
import { SQSClient } from "@aws-sdk/client-sqs";
import { SSMClient } from "@aws-sdk/client-ssm";
import { type AwsClients, type ClientConstructors, type ClientOptions, createClients } from "./clients.ts";

/**
 * Every client class: for processes that may call anything (the CLI, the local control plane,
 * tests). Lambda functions import only the classes they use, never this module.
 */
export const allClientConstructors: Required<ClientConstructors> = {
  lambda: LambdaClient,
  sfn: SFNClient,
  eventbridge: EventBridgeClient,
  cloudwatch: CloudWatchClient,
  ecr: ECRClient,
  sqs: SQSClient,
  sns: SNSClient,
  secrets: SecretsManagerClient,
  ec2: EC2Client,
  rds: RDSClient,
  ecs: ECSClient,
  ssm: SSMClient,
  autoscaling: AutoScalingClient,
};

export function createAllClients(options: ClientOptions = {}): AwsClients {
  return createClients(allClientConstructors, options);
}
