import { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware";
import middy from "@middy/core";
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

export const handler = make(environmentContext);
