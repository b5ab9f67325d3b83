import { onDeployExecutionEnded } from "@switchyard/core/deployments/watch";
import { busHandler, type ContextProvider, environmentContext } from "./runtime.ts";

/** A deploy execution failed or timed out at a step → a human hears where it stopped and how to go on. */
export const make = (provider: ContextProvider) =>
  busHandler({ reaction: "deploy-watch", accepts: ["states.execution-status-change"] }, provider, (e, ctx) =>
    onDeployExecutionEnded(ctx, e.event),
  );

export const handler = make(environmentContext);
