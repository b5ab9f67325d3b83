import { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware";
import { EC2Client } from "@aws-sdk/client-ec2";
import { ECSClient } from "@aws-sdk/client-ecs";
import { EventBridgeClient } from "@aws-sdk/client-eventbridge";
import { LambdaClient } from "@aws-sdk/client-lambda";
import { RDSClient } from "@aws-sdk/client-rds";
import { SFNClient } from "@aws-sdk/client-sfn";
import { SNSClient } from "@aws-sdk/client-sns";
import middy from "@middy/core";
import type { ClientConstructors } from "@switchyard/core/aws/clients";
import { CostStepPayload } from "@switchyard/core/cost/input";
import { runCostStep } from "@switchyard/core/cost/steps";
import { ErrorNames, SwitchyardError } from "@switchyard/core/errors";
import { logger } from "@switchyard/core/observability/logger";
import { formatZodIssues } from "@switchyard/core/util/zod-error";
import { type ContextProvider, environmentContext } from "./runtime.ts";

/**
 * The cost-response state machine's task function. Errors are thrown on purpose: their names
 * (StaleExecution, Throttled, InvalidInput) are what the state machine's Retry and Catch match.
 */
export const make = (provider: ContextProvider) =>
  middy(async (raw: unknown) => {
    const payload = CostStepPayload.safeParse(raw);
    if (!payload.success) {
      throw new SwitchyardError(
        ErrorNames.InvalidInput,
        `invalid cost step payload: ${formatZodIssues(payload.error).join("; ")}`,
      );
    }
    logger.appendKeys({ reaction: "cost", executionArn: payload.data.execution });
    try {
      return await runCostStep(provider(), payload.data);
    } catch (error) {
      logger.warn(`cost step ${payload.data.action} failed`, {
        error: (error as Error).name,
        message: (error as Error).message,
      });
      throw error;
    }
  }).use(injectLambdaContext(logger, { resetKeys: true }));

/** The AWS clients this function's code uses: only these SDK packages go into its bundle. */
export const clients = {
  ec2: EC2Client,
  ecs: ECSClient,
  eventbridge: EventBridgeClient,
  lambda: LambdaClient,
  rds: RDSClient,
  sfn: SFNClient,
  sns: SNSClient,
} satisfies ClientConstructors;

export const handler = make(environmentContext(clients));
