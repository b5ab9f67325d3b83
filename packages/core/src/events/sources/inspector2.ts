import * as z from "zod";
import { name } from "../bounds.ts";
import { FindingSeverityCounts, ImageDigest, ImageTag, requireCountsWhenComplete } from "./ecr.ts";

/**
 * Amazon Inspector "Inspector2 Scan" for an ECR image (enhanced scanning), as documented in
 * https://docs.aws.amazon.com/inspector/latest/user/eventbridge-integration.html and
 * https://docs.aws.amazon.com/AmazonECR/latest/userguide/image-scanning-enhanced.html.
 * Unlike ECR's own scan event, `repository-name` is the repository ARN, and the counts carry
 * `TOTAL` (and may carry `UNTRIAGED`).
 */
export const Inspector2EcrScanDetail = z
  .looseObject({
    "scan-status": name(64),
    // The repository ARN (at most 2,048 characters, as every ARN) or, in some samples, its name.
    "repository-name": name(2048),
    "image-digest": ImageDigest,
    "image-tags": z.array(ImageTag).max(1000).optional(),
    "finding-severity-counts": FindingSeverityCounts.optional(),
  })
  .superRefine(requireCountsWhenComplete);
export type Inspector2EcrScanDetail = z.infer<typeof Inspector2EcrScanDetail>;

/**
 * "Inspector2 Scan" also reports EC2 instances, Lambda functions and machine images under the
 * same detail-type. Those are well-formed events Switchyard has no use for, not malformed ones;
 * a detail that is not even an object is left to the schema to reject.
 */
export function isScanOfAnotherResourceType(detail: unknown): boolean {
  return (
    typeof detail === "object" &&
    detail !== null &&
    !Array.isArray(detail) &&
    !("repository-name" in detail) &&
    !("image-digest" in detail)
  );
}
