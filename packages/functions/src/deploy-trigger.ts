import { ECRClient } from "@aws-sdk/client-ecr";
import type { ClientConstructors } from "@switchyard/core/aws/clients";
import { onGithubEvent, onImagePush } from "@switchyard/core/deployments/trigger";
import { deployClients } from "./deploy-clients.ts";
import { busHandler, type ContextProvider, environmentContext } from "./runtime.ts";

/**
 * ECR push of a watched repository:tag, or a GitHub release / deployment of a watched
 * repository → deploy executions for the deployments concerned.
 */
export const make = (provider: ContextProvider) =>
  busHandler({ reaction: "deploy", accepts: ["ecr.image-action", "github"] }, provider, (e, ctx) =>
    e.kind === "github" ? onGithubEvent(ctx, e.githubEvent, e.event) : onImagePush(ctx, e.event),
  );

/** The AWS clients this function's code uses: only these SDK packages go into its bundle. */
export const clients = { ...deployClients, ecr: ECRClient } satisfies ClientConstructors;

export const handler = make(environmentContext(clients));
