import { SFNClient } from "@aws-sdk/client-sfn";
import { SNSClient } from "@aws-sdk/client-sns";
import { SQSClient } from "@aws-sdk/client-sqs";
import type { ClientConstructors } from "@switchyard/core/aws/clients";
import { onSecretScanningAlert } from "@switchyard/core/secrets/leak";
import { busHandler, type ContextProvider, environmentContext } from "./runtime.ts";

/** A GitHub secret scanning alert → rotate the managed secret it concerns, through the rotate-on-leak workflow. */
export const make = (provider: ContextProvider) =>
  busHandler({ reaction: "rotate-on-leak", accepts: ["github"] }, provider, async (e, ctx) => {
    if (e.githubEvent !== "secret_scanning_alert")
      return {
        reaction: "rotate-on-leak",
        outcome: "no-action",
        reason: `GitHub ${e.githubEvent} events are not secret scanning alerts`,
        executions: [],
      };
    return onSecretScanningAlert(ctx, e.event);
  });

/** The AWS clients this function's code uses: only these SDK packages go into its bundle. */
export const clients = { sfn: SFNClient, sns: SNSClient, sqs: SQSClient } satisfies ClientConstructors;

export const handler = make(environmentContext(clients));
