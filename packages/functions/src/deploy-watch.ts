import { CloudWatchClient } from "@aws-sdk/client-cloudwatch";
import type { ClientConstructors } from "@switchyard/core/aws/clients";
import { onDeployExecutionEnded } from "@switchyard/core/deployments/watch";
import { deployClients } from "./deploy-clients.ts";
import { busHandler, type ContextProvider, environmentContext } from "./runtime.ts";

/**
 * A deploy execution failed, timed out or was stopped → restored and settled, or a human hears
 * where it stopped and how to go on; a push queued behind it starts.
 */
export const make = (provider: ContextProvider) =>
  busHandler({ reaction: "deploy-watch", accepts: ["states.execution-status-change"] }, provider, (e, ctx) =>
    onDeployExecutionEnded(ctx, e.event),
  );

/** The AWS clients this function's code uses: only these SDK packages go into its bundle. */
// CloudWatch: an ended deployment's version alarms are deleted here (version-alarms.ts).
export const clients = { ...deployClients, cloudwatch: CloudWatchClient } satisfies ClientConstructors;

export const handler = make(environmentContext(clients));
