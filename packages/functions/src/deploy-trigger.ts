import { onImagePush } from "@switchyard/core/deployments/trigger";
import { busHandler, type ContextProvider, environmentContext } from "./runtime.ts";

/** ECR "Image Action" (push) → deploy executions for the deployments watching that repository:tag. */
export const make = (provider: ContextProvider) =>
  busHandler({ reaction: "deploy", accepts: ["ecr.image-action"] }, provider, (e, ctx) =>
    onImagePush(ctx, e.event),
  );

export const handler = make(environmentContext);
