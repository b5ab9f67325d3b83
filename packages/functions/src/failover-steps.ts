import { AutoScalingClient } from "@aws-sdk/client-auto-scaling";
import { CloudWatchClient } from "@aws-sdk/client-cloudwatch";
import { ECSClient } from "@aws-sdk/client-ecs";
import { LambdaClient } from "@aws-sdk/client-lambda";
import { RDSClient } from "@aws-sdk/client-rds";
import { SFNClient } from "@aws-sdk/client-sfn";
import { SNSClient } from "@aws-sdk/client-sns";
import { SSMClient } from "@aws-sdk/client-ssm";
import type { ClientConstructors } from "@switchyard/core/aws/clients";
import { failoverStepSpec } from "@switchyard/core/failover/step-spec";
import { type ContextProvider, environmentContext, stepHandler } from "./runtime.ts";

/**
 * The failover state machine's task function. Errors are thrown on purpose: their names
 * (InvalidInput, VerificationFailed, Throttled, ...) are what the state machine matches.
 */
export const make = (provider: ContextProvider) =>
  // The steps alone, not the unit: the unit carries the state machine definitions, which the
  // function never reads (~12 KB of its bundle).
  stepHandler({ reaction: "failover", steps: failoverStepSpec }, provider);

/** The AWS clients this function's code uses: only these SDK packages go into its bundle. */
export const clients = {
  cloudwatch: CloudWatchClient,
  sfn: SFNClient,
  sns: SNSClient,
  // The calls in the runbook's regions (core's failover/regional.ts), one client per region.
  rds: RDSClient,
  lambda: LambdaClient,
  ecs: ECSClient,
  autoscaling: AutoScalingClient,
  ssm: SSMClient,
} satisfies ClientConstructors;

export const handler = make(environmentContext(clients));
