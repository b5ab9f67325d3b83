import { CloudWatchClient } from "@aws-sdk/client-cloudwatch";
import type { ClientConstructors } from "@switchyard/core/aws/clients";
import { onAlarm } from "@switchyard/core/deployments/alarm";
import { deployClients } from "./deploy-clients.ts";
import { busHandler, type ContextProvider, environmentContext } from "./runtime.ts";

/** A guarding alarm went to ALARM → the alias goes back to the stable version, the deploy stops. */
export const make = (provider: ContextProvider) =>
  busHandler({ reaction: "rollback", accepts: ["cloudwatch.alarm-state-change"] }, provider, (e, ctx) =>
    onAlarm(ctx, e.event),
  );

/** The AWS clients this function's code uses: only these SDK packages go into its bundle. */
export const clients = { ...deployClients, cloudwatch: CloudWatchClient } satisfies ClientConstructors;

export const handler = make(environmentContext(clients));
