import { CloudWatchClient } from "@aws-sdk/client-cloudwatch";
import { SFNClient } from "@aws-sdk/client-sfn";
import { SNSClient } from "@aws-sdk/client-sns";
import type { ClientConstructors } from "@switchyard/core/aws/clients";
import { ErrorNames, SwitchyardError } from "@switchyard/core/errors";
import { FailoverStepPayload } from "@switchyard/core/failover/input";
import { runFailoverStep } from "@switchyard/core/failover/steps";
import { type ContextProvider, environmentContext, stepHandler } from "./runtime.ts";

/**
 * The failover state machine's task function. Errors are thrown on purpose: their names
 * (InvalidInput, VerificationFailed, Throttled, ...) are what the state machine matches.
 */
export const make = (provider: ContextProvider) =>
  stepHandler(
    {
      reaction: "failover",
      payload: FailoverStepPayload,
      invalid: (message) => new SwitchyardError(ErrorNames.InvalidInput, message),
    },
    (payload) => runFailoverStep(provider(), payload),
  );

/** The AWS clients this function's code uses: only these SDK packages go into its bundle. */
export const clients = {
  cloudwatch: CloudWatchClient,
  sfn: SFNClient,
  sns: SNSClient,
} satisfies ClientConstructors;

export const handler = make(environmentContext(clients));
