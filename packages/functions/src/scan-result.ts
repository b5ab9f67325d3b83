import { onImageScan } from "@switchyard/core/deployments/scan";
import { busHandler, type ContextProvider, environmentContext } from "./runtime.ts";

/** ECR basic scan or Amazon Inspector scan finished → answer the deployments waiting at the scan gate. */
export const make = (provider: ContextProvider) =>
  busHandler({ reaction: "scan-result", accepts: ["image-scan"] }, provider, (e, ctx) =>
    onImageScan(ctx, e.scan, e.event.id),
  );

export const handler = make(environmentContext);
