import { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware";
import { CloudWatchClient } from "@aws-sdk/client-cloudwatch";
import { SFNClient } from "@aws-sdk/client-sfn";
import { SNSClient } from "@aws-sdk/client-sns";
import middy from "@middy/core";
import type { ClientConstructors } from "@switchyard/core/aws/clients";
import { FailoverStepPayload } from "@switchyard/core/failover/input";
import { FailoverError, runFailoverStep } from "@switchyard/core/failover/steps";
import { logger } from "@switchyard/core/observability/logger";
import { formatZodIssues } from "@switchyard/core/util/zod-error";
import { FailoverErrors } from "@switchyard/core/workflows/failover";
import { type ContextProvider, environmentContext } from "./runtime.ts";

/**
 * The failover state machine's task function. Errors are thrown on purpose: their names
 * (InvalidInput, VerificationFailed, Throttled, ...) are what the state machine matches.
 */
export const make = (provider: ContextProvider) =>
  middy(async (raw: unknown) => {
    const payload = FailoverStepPayload.safeParse(raw);
    if (!payload.success) {
      throw new FailoverError(
        FailoverErrors.InvalidInput,
        `invalid failover step payload: ${formatZodIssues(payload.error).join("; ")}`,
      );
    }
    logger.appendKeys({ reaction: "failover", executionArn: payload.data.execution });
    try {
      return await runFailoverStep(provider(), payload.data);
    } catch (error) {
      logger.warn(`failover step ${payload.data.action} failed`, {
        error: (error as Error).name,
        message: (error as Error).message,
      });
      throw error;
    }
  }).use(injectLambdaContext(logger, { resetKeys: true }));

/** The AWS clients this function's code uses: only these SDK packages go into its bundle. */
export const clients = {
  cloudwatch: CloudWatchClient,
  sfn: SFNClient,
  sns: SNSClient,
} satisfies ClientConstructors;

export const handler = make(environmentContext(clients));
