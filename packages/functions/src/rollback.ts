import { onAlarm } from "@switchyard/core/deployments/alarm";
import { busHandler, type ContextProvider, environmentContext } from "./runtime.ts";

/** A guarding alarm went to ALARM → the alias goes back to the stable version, the deploy stops. */
export const make = (provider: ContextProvider) =>
  busHandler({ reaction: "rollback", accepts: ["cloudwatch.alarm-state-change"] }, provider, (e, ctx) =>
    onAlarm(ctx, e.event),
  );

export const handler = make(environmentContext);
