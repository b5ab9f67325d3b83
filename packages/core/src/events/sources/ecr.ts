import * as z from "zod";
import { name } from "../bounds.ts";

/**
 * Amazon ECR events, as documented in
 * https://docs.aws.amazon.com/AmazonECR/latest/userguide/ecr-eventbridge.html.
 * Objects are loose: AWS adds fields over time, and an event must never be rejected for one.
 */

/**
 * `algorithm:encoded`. Deliberately not exactly "sha256 + 64 hex": AWS's own samples carry shortened and
 * `...EXAMPLE` digests, and OCI allows other algorithms; but bounded, so it can be a DynamoDB key.
 */
export const ImageDigest = z
  .string()
  .max(200, "must be at most 200 characters")
  .regex(
    // sha256 is at most 64 hex digits (AWS's samples shorten it, or end it in the placeholder "EXAMPLE");
    // any other OCI algorithm at most 128 characters of its encoding.
    /^(?:sha256:(?:[a-f0-9]{1,64}|[a-f0-9]{1,57}EXAMPLE)|(?!sha256:)[a-z0-9]+(?:[+._-][a-z0-9]+)*:[a-zA-Z0-9=_.-]{1,128})$/,
    "expected an image digest such as sha256:<hex>",
  );
/**
 * ECR repository names are 2–256 characters and image tags 1–300
 * (https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_Repository.html,
 * https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_ImageIdentifier.html).
 */
export const RepositoryName = name(256);
export const ImageTag = name(300);

/** detail-type "ECR Image Action": an image was pushed or deleted. */
export const EcrImageActionDetail = z.looseObject({
  "action-type": z.enum(["PUSH", "DELETE"]),
  result: z.enum(["SUCCESS", "FAILURE"]),
  "repository-name": RepositoryName,
  "image-digest": ImageDigest,
  // Absent when an image is pushed by digest only.
  "image-tag": ImageTag.optional(),
});
export type EcrImageActionDetail = z.infer<typeof EcrImageActionDetail>;

/** A severity → count map; ECR only lists severities that have findings. */
export const FindingSeverityCounts = z.record(
  name(64),
  z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER),
);

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
    "scan-status": name(64),
    "repository-name": RepositoryName,
    "image-digest": ImageDigest,
    "image-tags": z.array(ImageTag).max(1000),
    "finding-severity-counts": FindingSeverityCounts.optional(),
  })
  .superRefine(requireCountsWhenComplete);
export type EcrImageScanDetail = z.infer<typeof EcrImageScanDetail>;
