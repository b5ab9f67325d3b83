import { SFNClient } from "@aws-sdk/client-sfn";
import { SQSClient } from "@aws-sdk/client-sqs";
import type { ClientConstructors } from "@switchyard/core/aws/clients";
import { onImageScan } from "@switchyard/core/deployments/scan";
import { busHandler, type ContextProvider, environmentContext } from "./runtime.ts";

/** ECR basic scan or Amazon Inspector scan finished → answer the deployments waiting at the scan gate. */
export const make = (provider: ContextProvider) =>
  busHandler({ reaction: "scan-result", accepts: ["image-scan"] }, provider, (e, ctx) =>
    onImageScan(ctx, e.scan, e.event),
  );

/** The AWS clients this function's code uses: only these SDK packages go into its bundle. */
export const clients = { sfn: SFNClient, sqs: SQSClient } satisfies ClientConstructors;

export const handler = make(environmentContext(clients));
