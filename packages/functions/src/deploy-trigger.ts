import { onGithubEvent, onImagePush } from "@switchyard/core/deployments/trigger";
import { busHandler, type ContextProvider, environmentContext } from "./runtime.ts";

/**
 * ECR push of a watched repository:tag, or a GitHub release / deployment of a watched
 * repository → deploy executions for the deployments concerned.
 */
export const make = (provider: ContextProvider) =>
  busHandler({ reaction: "deploy", accepts: ["ecr.image-action", "github"] }, provider, (e, ctx) =>
    e.kind === "github" ? onGithubEvent(ctx, e.githubEvent, e.event) : onImagePush(ctx, e.event),
  );

export const handler = make(environmentContext);
