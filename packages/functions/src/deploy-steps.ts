import { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware";
import { CloudWatchClient } from "@aws-sdk/client-cloudwatch";
import { LambdaClient } from "@aws-sdk/client-lambda";
import { SFNClient } from "@aws-sdk/client-sfn";
import { SNSClient } from "@aws-sdk/client-sns";
import middy from "@middy/core";
import type { ClientConstructors } from "@switchyard/core/aws/clients";
import { DeployStepPayload } from "@switchyard/core/deployments/input";
import { runDeployStep } from "@switchyard/core/deployments/steps";
import { ErrorNames, SwitchyardError } from "@switchyard/core/errors";
import { logger } from "@switchyard/core/observability/logger";
import { formatZodIssues } from "@switchyard/core/util/zod-error";
import { type ContextProvider, environmentContext } from "./runtime.ts";

/**
 * The deploy state machine's task function. Errors are thrown on purpose: their names
 * (StaleExecution, PreconditionFailed, Throttled, ...) are what the state machine's
 * Retry and Catch match.
 */
export const make = (provider: ContextProvider) =>
  middy(async (raw: unknown) => {
    const payload = DeployStepPayload.safeParse(raw);
    if (!payload.success) {
      throw new SwitchyardError(
        ErrorNames.InvalidInput,
        `invalid deploy step payload: ${formatZodIssues(payload.error).join("; ")}`,
      );
    }
    logger.appendKeys({ reaction: "deploy", executionArn: payload.data.execution });
    try {
      return await runDeployStep(provider(), payload.data);
    } catch (error) {
      logger.warn(`deploy step ${payload.data.action} failed`, {
        error: (error as Error).name,
        message: (error as Error).message,
      });
      throw error;
    }
  }).use(injectLambdaContext(logger, { resetKeys: true }));

/** The AWS clients this function's code uses: only these SDK packages go into its bundle. */
export const clients = {
  cloudwatch: CloudWatchClient,
  lambda: LambdaClient,
  sfn: SFNClient,
  sns: SNSClient,
} satisfies ClientConstructors;

export const handler = make(environmentContext(clients));
