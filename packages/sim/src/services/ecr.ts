import { createHash } from "node:crypto";
import { fail } from "../errors.ts";
import type { Kernel } from "../kernel.ts";

type Severity = "CRITICAL" | "HIGH" | "MEDIUM" | "LOW" | "INFORMATIONAL" | "UNDEFINED";

interface ImageRecord {
  digest: string;
  tags: Set<string>;
  pushedAt: Date;
  scan?: { status: "COMPLETE" | "FAILED" | "IN_PROGRESS"; counts: Partial<Record<Severity, number>> };
}

/**
 * ECR: repositories, images (digest + tags) and scan findings. `pushImage` emits the
 * "ECR Image Action" event, and `completeScan` the "ECR Image Scan" event, as ECR does.
 */
export class EcrService {
  readonly #kernel: Kernel;
  readonly #repos = new Map<string, Map<string, ImageRecord>>();

  constructor(kernel: Kernel) {
    this.#kernel = kernel;
  }

  registryHost(): string {
    return `${this.#kernel.accountId}.dkr.ecr.${this.#kernel.region}.amazonaws.com`;
  }

  /** Pushes an image (a tag moves to the new digest) and emits the push event. Returns the digest. */
  pushImage(
    repository: string,
    tag: string,
    content = `${repository}:${tag}:${this.#kernel.clock.now()}`,
  ): string {
    const digest = `sha256:${createHash("sha256").update(content).digest("hex")}`;
    const repo = this.#repo(repository, true);
    for (const image of repo.values()) image.tags.delete(tag);
    const image = repo.get(digest) ?? {
      digest,
      tags: new Set<string>(),
      pushedAt: this.#kernel.clock.date(),
    };
    image.tags.add(tag);
    repo.set(digest, image);
    this.#kernel.emit({
      source: "aws.ecr",
      "detail-type": "ECR Image Action",
      resources: [],
      detail: {
        result: "SUCCESS",
        "repository-name": repository,
        "image-digest": digest,
        "action-type": "PUSH",
        "image-tag": tag,
      },
    });
    return digest;
  }

  /** Completes a basic scan of an image with the given finding counts and emits the scan event. */
  completeScan(repository: string, digest: string, counts: Partial<Record<Severity, number>>): void {
    const image = this.#repo(repository, false).get(digest);
    if (!image) throw new Error(`no image ${repository}@${digest} in the simulated ECR`);
    image.scan = { status: "COMPLETE", counts };
    this.#kernel.emit({
      source: "aws.ecr",
      "detail-type": "ECR Image Scan",
      resources: [this.#kernel.arn("ecr", `repository/${repository}`)],
      detail: {
        "scan-status": "COMPLETE",
        "repository-name": repository,
        "finding-severity-counts": counts,
        "image-digest": digest,
        "image-tags": [...image.tags],
      },
    });
  }

  /**
   * Checks that an image URI names an image this registry holds; returns its digest.
   * Images of repositories the simulation was never told about are accepted as they are,
   * so configs can name repositories that nothing pushed to yet.
   */
  resolveImageUri(uri: string): string {
    const match = /^[^/]+\/([^@:]+)(?:@(sha256:[0-9a-zA-Z]+)|:([\w.-]+))?$/.exec(uri);
    if (!match) return fail("InvalidParameterValueException", `Source image ${uri} is not valid.`);
    const [, name, digest, tag] = match as unknown as [
      string,
      string,
      string | undefined,
      string | undefined,
    ];
    const repo = this.#repos.get(name);
    if (!repo) return digest ?? `sha256:${createHash("sha256").update(uri).digest("hex")}`;
    const image = digest ? repo.get(digest) : [...repo.values()].find((i) => tag && i.tags.has(tag));
    if (!image)
      return fail(
        "InvalidParameterValueException",
        `Source image ${uri} does not exist. Provide a valid source image.`,
      );
    return image.digest;
  }

  /** Image actions are authorized on the repository (Service Authorization Reference, Amazon ECR). */
  resourceArns(_action: string, input: Record<string, unknown>): readonly string[] {
    return [this.#kernel.arn("ecr", `repository/${String(input.repositoryName ?? "")}`)];
  }

  handle(action: string, input: Record<string, unknown>): unknown {
    switch (action) {
      case "DescribeImages": {
        const repo = this.#repo(String(input.repositoryName), false);
        const ids = (input.imageIds as { imageDigest?: string; imageTag?: string }[] | undefined) ?? [];
        const images = [...repo.values()].filter(
          (i) =>
            ids.length === 0 ||
            ids.some((id) => id.imageDigest === i.digest || (id.imageTag && i.tags.has(id.imageTag))),
        );
        const missing = ids.find(
          (id) =>
            !images.some((i) => id.imageDigest === i.digest || (id.imageTag && i.tags.has(id.imageTag))),
        );
        if (missing) {
          return fail(
            "ImageNotFoundException",
            `The image with imageId ${JSON.stringify(missing)} does not exist within the repository with name '${String(input.repositoryName)}'`,
          );
        }
        return {
          imageDetails: images.map((i) => ({
            repositoryName: input.repositoryName,
            imageDigest: i.digest,
            imageTags: [...i.tags],
            imagePushedAt: i.pushedAt,
            ...(i.scan
              ? {
                  imageScanStatus: { status: i.scan.status },
                  imageScanFindingsSummary: { findingSeverityCounts: i.scan.counts },
                }
              : {}),
          })),
        };
      }
      case "DescribeImageScanFindings": {
        const repo = this.#repo(String(input.repositoryName), false);
        const id = input.imageId as { imageDigest?: string; imageTag?: string } | undefined;
        const image = [...repo.values()].find(
          (i) => i.digest === id?.imageDigest || (id?.imageTag && i.tags.has(id.imageTag)),
        );
        if (!image)
          return fail(
            "ImageNotFoundException",
            `The image with imageId ${JSON.stringify(id)} does not exist`,
          );
        if (!image.scan)
          return fail(
            "ScanNotFoundException",
            `Image scan does not exist for the image with '${JSON.stringify(id)}'`,
          );
        return {
          repositoryName: input.repositoryName,
          imageId: { imageDigest: image.digest },
          imageScanStatus: { status: image.scan.status },
          imageScanFindings: { findingSeverityCounts: image.scan.counts, findings: [] },
        };
      }
      default:
        return fail("UnsupportedOperation", `the simulated ECR does not implement ${action}`);
    }
  }

  #repo(name: string, create: boolean): Map<string, ImageRecord> {
    let repo = this.#repos.get(name);
    if (!repo) {
      if (!create)
        return fail(
          "RepositoryNotFoundException",
          `The repository with name '${name}' does not exist in the registry with id '${this.#kernel.accountId}'`,
        );
      repo = new Map();
      this.#repos.set(name, repo);
    }
    return repo;
  }
}
