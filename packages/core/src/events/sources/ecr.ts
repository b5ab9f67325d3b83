import * as z from "zod";

/**
 * Amazon ECR events, as documented in
 * https://docs.aws.amazon.com/AmazonECR/latest/userguide/ecr-eventbridge.html.
 * Objects are loose: AWS adds fields over time, and an event must never be rejected for one.
 */

/**
 * `algorithm:encoded`. Deliberately not "sha256 + 64 hex": AWS's own samples carry shortened and
 * `...EXAMPLE` digests, and OCI allows other algorithms.
 */
export const ImageDigest = z
  .string()
  .regex(/^[a-z0-9]+(?:[+._-][a-z0-9]+)*:\S+$/, "expected an image digest such as sha256:<hex>");

/** detail-type "ECR Image Action": an image was pushed or deleted. */
export const EcrImageActionDetail = z.looseObject({
  "action-type": z.enum(["PUSH", "DELETE"]),
  result: z.enum(["SUCCESS", "FAILURE"]),
  "repository-name": z.string().min(1),
  "image-digest": ImageDigest,
  // Absent when an image is pushed by digest only.
  "image-tag": z.string().optional(),
});
export type EcrImageActionDetail = z.infer<typeof EcrImageActionDetail>;

/** A severity → count map; ECR only lists severities that have findings. */
export const FindingSeverityCounts = z.record(z.string(), z.number().int().nonnegative());

/** Scan statuses after which `finding-severity-counts` is the whole truth about the image. */
const COMPLETED_SCAN_STATUSES: readonly string[] = ["COMPLETE", "INITIAL_SCAN_COMPLETE"];

/**
 * A completed scan without counts must not read as "no findings": a gate would pass an
 * unscanned image. Counts may only be missing while the scan is not complete.
 */
export function requireCountsWhenComplete(
  detail: { "scan-status": string; "finding-severity-counts"?: unknown },
  ctx: z.RefinementCtx,
): void {
  if (
    COMPLETED_SCAN_STATUSES.includes(detail["scan-status"]) &&
    detail["finding-severity-counts"] === undefined
  ) {
    ctx.addIssue({
      code: "custom",
      path: ["finding-severity-counts"],
      message: `required when scan-status is ${detail["scan-status"]} (expected an object of severity counts)`,
    });
  }
}

/** detail-type "ECR Image Scan": a basic scan finished. */
export const EcrImageScanDetail = z
  .looseObject({
    "scan-status": z.string().min(1),
    "repository-name": z.string().min(1),
    "image-digest": ImageDigest,
    "image-tags": z.array(z.string()),
    "finding-severity-counts": FindingSeverityCounts.optional(),
  })
  .superRefine(requireCountsWhenComplete);
export type EcrImageScanDetail = z.infer<typeof EcrImageScanDetail>;
