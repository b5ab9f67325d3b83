import { createHash } from "node:crypto";
import { fail } from "../errors.ts";
import type { Kernel } from "../kernel.ts";

type Severity = "CRITICAL" | "HIGH" | "MEDIUM" | "LOW" | "INFORMATIONAL" | "UNDEFINED";

/**
 * Manifest media types ECR stores and reports as `imageManifestMediaType` (DescribeImages,
 * BatchGetImage): a single-platform image is a Docker v2 or OCI manifest; a multi-platform image
 * (or buildx's default output with provenance attestations) is an OCI image index or a Docker
 * manifest list that points at manifests. https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_ImageDetail.html
 */
export const MEDIA_TYPES = {
  dockerManifest: "application/vnd.docker.distribution.manifest.v2+json",
  ociManifest: "application/vnd.oci.image.manifest.v1+json",
  ociIndex: "application/vnd.oci.image.index.v1+json",
  dockerManifestList: "application/vnd.docker.distribution.manifest.list.v2+json",
} as const;
export type ManifestMediaType = (typeof MEDIA_TYPES)[keyof typeof MEDIA_TYPES];

/** The config media type of each single-platform manifest type (ImageDetail.artifactMediaType). */
const CONFIG_MEDIA_TYPES: Partial<Record<ManifestMediaType, string>> = {
  [MEDIA_TYPES.dockerManifest]: "application/vnd.docker.container.image.v1+json",
  [MEDIA_TYPES.ociManifest]: "application/vnd.oci.image.config.v1+json",
};

/** True for an image index / manifest list: a list of manifests rather than one image. */
export function isIndex(mediaType: string): boolean {
  return mediaType === MEDIA_TYPES.ociIndex || mediaType === MEDIA_TYPES.dockerManifestList;
}

interface ImageRecord {
  digest: string;
  tags: Set<string>;
  pushedAt: Date;
  mediaType: ManifestMediaType;
  /** The manifest document as ECR returns it in BatchGetImage's `imageManifest`. */
  manifest: string;
  /** Digests of the manifests an index lists. */
  children?: string[];
  scan?: { status: "COMPLETE" | "FAILED" | "IN_PROGRESS"; counts: Partial<Record<Severity, number>> };
}

/** What ECR resolves an image URI to for Lambda: the digest it names and that manifest's media type. */
export interface ResolvedImage {
  digest: string;
  mediaType: string;
}

const sha256 = (text: string) => `sha256:${createHash("sha256").update(text).digest("hex")}`;

/**
 * ECR: repositories, images (digest + tags + manifest media type) and scan findings.
 * `pushImage` and `pushIndex` emit the "ECR Image Action" event, and `completeScan` the
 * "ECR Image Scan" event, as ECR does.
 */
export class EcrService {
  readonly #kernel: Kernel;
  /**
   * By `region/name`: repositories are regional, and a client (or a test helper run in a region,
   * `Kernel.inRegion`) reaches its region's (https://docs.aws.amazon.com/AmazonECR/latest/userguide/Registries.html).
   */
  readonly #repos = new Map<string, Map<string, ImageRecord>>();

  constructor(kernel: Kernel) {
    this.#kernel = kernel;
  }

  registryHost(region = this.#kernel.clientRegion()): string {
    return `${this.#kernel.accountId}.dkr.ecr.${region}.amazonaws.com`;
  }

  /**
   * Pushes a single-platform image (a tag moves to the new digest) and emits the push event.
   * Returns the digest. The manifest is a Docker v2 manifest unless `mediaType` says OCI.
   */
  pushImage(
    repository: string,
    tag: string,
    content = `${repository}:${tag}:${this.#kernel.clock.now()}`,
    options: { mediaType?: typeof MEDIA_TYPES.dockerManifest | typeof MEDIA_TYPES.ociManifest } = {},
  ): string {
    const mediaType = options.mediaType ?? MEDIA_TYPES.dockerManifest;
    const digest = sha256(content);
    this.#store(repository, { digest, mediaType, manifest: imageManifest(mediaType, content) }, tag);
    this.#emitPush(repository, digest, tag);
    return digest;
  }

  /**
   * Pushes a multi-platform image the way `docker buildx build --push` does by default: one
   * untagged manifest per platform (plus, with `attestations`, the provenance attestation
   * manifest buildx adds), then the image index that lists them, tagged. Returns the index's
   * digest, which is what the tag (and the push event) names. A test helper: ECR itself only
   * stores what a client pushes.
   */
  pushIndex(
    repository: string,
    tag: string,
    options: {
      platforms?: string[];
      attestations?: boolean;
      mediaType?: typeof MEDIA_TYPES.ociIndex | typeof MEDIA_TYPES.dockerManifestList;
      content?: string;
    } = {},
  ): string {
    const mediaType = options.mediaType ?? MEDIA_TYPES.ociIndex;
    const childType =
      mediaType === MEDIA_TYPES.ociIndex ? MEDIA_TYPES.ociManifest : MEDIA_TYPES.dockerManifest;
    const content = options.content ?? `${repository}:${tag}:${this.#kernel.clock.now()}`;
    const platforms = options.platforms ?? ["linux/amd64"];
    const entries = [...platforms, ...((options.attestations ?? true) ? ["unknown/unknown"] : [])].map(
      (platform) => {
        const manifest = imageManifest(childType, `${content}:${platform}`);
        const digest = sha256(manifest);
        this.#store(repository, { digest, mediaType: childType, manifest });
        const [os, architecture] = platform.split("/");
        return {
          mediaType: childType,
          digest,
          size: Buffer.byteLength(manifest),
          platform: { architecture, os },
        };
      },
    );
    const manifest = JSON.stringify({ schemaVersion: 2, mediaType, manifests: entries });
    const digest = sha256(manifest);
    this.#store(repository, { digest, mediaType, manifest, children: entries.map((e) => e.digest) }, tag);
    this.#emitPush(repository, digest, tag);
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
      resources: [this.#kernel.arn("ecr", `repository/${repository}`, this.#kernel.clientRegion())],
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
   * Resolves an image URI to the digest it names and that manifest's media type (Lambda pulling
   * an image). An image a known repository does not hold is an error, as Lambda reports it.
   * Images of repositories the simulation was never told about are accepted as they are (a
   * Docker v2 manifest), so configs can name repositories that nothing pushed to yet.
   */
  resolveImageUri(uri: string): ResolvedImage {
    const match = /^([^/]+)\/([^@:]+)(?:@(sha256:[0-9a-zA-Z]+)|:([\w.-]+))?$/.exec(uri);
    if (!match) return fail("InvalidParameterValueException", `Source image ${uri} is not valid.`);
    const [, host, name, digest, tag] = match as unknown as [
      string,
      string,
      string,
      string | undefined,
      string | undefined,
    ];
    // The registry host names the repository's region: <account>.dkr.ecr.<region>.amazonaws.com.
    const region = /\.dkr\.ecr\.([\w-]+)\./.exec(host)?.[1] ?? this.#kernel.clientRegion();
    const repo = this.#repos.get(`${region}/${name}`);
    if (!repo) return { digest: digest ?? sha256(uri), mediaType: MEDIA_TYPES.dockerManifest };
    const image = digest ? repo.get(digest) : [...repo.values()].find((i) => tag && i.tags.has(tag));
    if (!image)
      return fail(
        "InvalidParameterValueException",
        `Source image ${uri} does not exist. Provide a valid source image.`,
      );
    return { digest: image.digest, mediaType: image.mediaType };
  }

  /** Image actions are authorized on the repository (Service Authorization Reference, Amazon ECR). */
  resourceArns(_action: string, input: Record<string, unknown>): readonly string[] {
    return [
      this.#kernel.arn(
        "ecr",
        `repository/${String(input.repositoryName ?? "")}`,
        this.#kernel.clientRegion(),
      ),
    ];
  }

  handle(action: string, input: Record<string, unknown>): unknown {
    switch (action) {
      case "DescribeImages":
        return this.#describeImages(input);
      case "BatchGetImage":
        return this.#batchGetImage(input);
      case "BatchDeleteImage":
        return this.#batchDeleteImage(input);
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

  #describeImages(input: Record<string, unknown>): unknown {
    const repo = this.#repo(String(input.repositoryName), false);
    const ids = (input.imageIds as ImageId[] | undefined) ?? [];
    const images = [...repo.values()].filter((i) => ids.length === 0 || ids.some((id) => matches(i, id)));
    const missing = ids.find((id) => !images.some((i) => matches(i, id)));
    if (missing) {
      return fail(
        "ImageNotFoundException",
        `The image with imageId ${JSON.stringify(missing)} does not exist within the repository with name '${String(input.repositoryName)}'`,
      );
    }
    return {
      imageDetails: images.map((i) => ({
        registryId: this.#kernel.accountId,
        repositoryName: input.repositoryName,
        imageDigest: i.digest,
        ...(i.tags.size > 0 ? { imageTags: [...i.tags] } : {}),
        imagePushedAt: i.pushedAt,
        imageManifestMediaType: i.mediaType,
        ...(CONFIG_MEDIA_TYPES[i.mediaType] ? { artifactMediaType: CONFIG_MEDIA_TYPES[i.mediaType] } : {}),
        ...(i.scan
          ? {
              imageScanStatus: { status: i.scan.status },
              imageScanFindingsSummary: { findingSeverityCounts: i.scan.counts },
            }
          : {}),
      })),
    };
  }

  /**
   * BatchGetImage: the manifest of each image asked for, with its media type; an id that names
   * no image is a failure entry (ImageNotFound), not an exception.
   * https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_BatchGetImage.html
   */
  #batchGetImage(input: Record<string, unknown>): unknown {
    const repo = this.#repo(String(input.repositoryName), false);
    const images: Record<string, unknown>[] = [];
    const failures: Record<string, unknown>[] = [];
    for (const id of (input.imageIds as ImageId[] | undefined) ?? []) {
      if (!id.imageDigest && !id.imageTag) {
        failures.push({
          imageId: id,
          failureCode: "MissingDigestAndTag",
          failureReason: "Missing digest and tag",
        });
        continue;
      }
      const image = [...repo.values()].find((i) => matches(i, id));
      if (!image) {
        const tagged = id.imageTag
          ? [...repo.values()].find((i) => i.tags.has(id.imageTag as string))
          : undefined;
        failures.push(
          tagged && id.imageDigest
            ? {
                imageId: id,
                failureCode: "ImageTagDoesNotMatchDigest",
                failureReason: "Tag does not match digest",
              }
            : { imageId: id, failureCode: "ImageNotFound", failureReason: "Requested image not found" },
        );
        continue;
      }
      images.push({
        registryId: this.#kernel.accountId,
        repositoryName: input.repositoryName,
        imageId: { imageDigest: image.digest, ...(id.imageTag ? { imageTag: id.imageTag } : {}) },
        imageManifest: image.manifest,
        imageManifestMediaType: image.mediaType,
      });
    }
    return { images, failures };
  }

  /**
   * BatchDeleteImage: an id by tag removes the tag (and the image with its last tag); an id by
   * digest removes the image, unless an image index in the repository still lists it.
   * https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_BatchDeleteImage.html
   */
  #batchDeleteImage(input: Record<string, unknown>): unknown {
    const repo = this.#repo(String(input.repositoryName), false);
    const imageIds: ImageId[] = [];
    const failures: Record<string, unknown>[] = [];
    for (const id of (input.imageIds as ImageId[] | undefined) ?? []) {
      const image = [...repo.values()].find((i) => matches(i, id));
      if (!image) {
        failures.push({
          imageId: id,
          failureCode: "ImageNotFound",
          failureReason: "Requested image not found",
        });
        continue;
      }
      if (!id.imageDigest && id.imageTag) {
        image.tags.delete(id.imageTag);
        if (image.tags.size === 0) repo.delete(image.digest);
      } else {
        const parent = [...repo.values()].find((i) => i.children?.includes(image.digest));
        if (parent) {
          failures.push({
            imageId: id,
            failureCode: "ImageReferencedByManifestList",
            failureReason: `Requested image referenced by manifest list: [${parent.digest}]`,
          });
          continue;
        }
        repo.delete(image.digest);
      }
      imageIds.push({ imageDigest: image.digest, ...(id.imageTag ? { imageTag: id.imageTag } : {}) });
    }
    return { imageIds, failures };
  }

  #store(
    repository: string,
    image: Pick<ImageRecord, "digest" | "mediaType" | "manifest" | "children">,
    tag?: string,
  ): void {
    const repo = this.#repo(repository, true);
    if (tag !== undefined) for (const other of repo.values()) other.tags.delete(tag);
    const record = repo.get(image.digest) ?? {
      ...image,
      tags: new Set<string>(),
      pushedAt: this.#kernel.clock.date(),
    };
    if (tag !== undefined) record.tags.add(tag);
    repo.set(image.digest, record);
  }

  #emitPush(repository: string, digest: string, tag: string): void {
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
  }

  #repo(name: string, create: boolean): Map<string, ImageRecord> {
    const key = `${this.#kernel.clientRegion()}/${name}`;
    let repo = this.#repos.get(key);
    if (!repo) {
      if (!create)
        return fail(
          "RepositoryNotFoundException",
          `The repository with name '${name}' does not exist in the registry with id '${this.#kernel.accountId}'`,
        );
      repo = new Map();
      this.#repos.set(key, repo);
    }
    return repo;
  }
}

interface ImageId {
  imageDigest?: string;
  imageTag?: string;
}

function matches(image: ImageRecord, id: ImageId): boolean {
  if (id.imageDigest && id.imageDigest !== image.digest) return false;
  if (id.imageTag && !image.tags.has(id.imageTag)) return false;
  return Boolean(id.imageDigest || id.imageTag);
}

/** A single-platform manifest document of the given type whose one layer is `content`. */
function imageManifest(mediaType: ManifestMediaType, content: string): string {
  const layerType =
    mediaType === MEDIA_TYPES.ociManifest
      ? "application/vnd.oci.image.layer.v1.tar+gzip"
      : "application/vnd.docker.image.rootfs.diff.tar.gzip";
  return JSON.stringify({
    schemaVersion: 2,
    mediaType,
    config: { mediaType: CONFIG_MEDIA_TYPES[mediaType], size: 2, digest: sha256(`config:${content}`) },
    layers: [{ mediaType: layerType, size: Buffer.byteLength(content), digest: sha256(content) }],
  });
}
