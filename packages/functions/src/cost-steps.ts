import { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware";
import middy from "@middy/core";
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

export const handler = make(environmentContext);
