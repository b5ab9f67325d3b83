import {
  BatchDeleteImageCommand,
  BatchGetImageCommand,
  DescribeImagesCommand,
  ECRClient,
} from "@aws-sdk/client-ecr";
import { describe, expect, it } from "vitest";
import { SimulatedAccount } from "../index.ts";
import { MEDIA_TYPES } from "./ecr.ts";

const credentials = { accessKeyId: "local", secretAccessKey: "local" };

function setup() {
  const account = new SimulatedAccount({ region: "us-east-1" });
  const ecr = new ECRClient({ region: "us-east-1", credentials });
  account.attach(ecr);
  return { account, ecr };
}

describe("ECR image manifests in the simulated account", () => {
  it("reports each image's manifest media type: Docker v2, OCI manifest, OCI image index, Docker manifest list", async () => {
    const { account, ecr } = setup();
    const docker = account.ecr.pushImage("api", "docker");
    const oci = account.ecr.pushImage("api", "oci", "oci-content", { mediaType: MEDIA_TYPES.ociManifest });
    const index = account.ecr.pushIndex("api", "index");
    const list = account.ecr.pushIndex("api", "list", {
      mediaType: MEDIA_TYPES.dockerManifestList,
      platforms: ["linux/amd64", "linux/arm64"],
      attestations: false,
    });

    const { imageDetails = [] } = await ecr.send(
      new DescribeImagesCommand({
        repositoryName: "api",
        imageIds: [{ imageTag: "docker" }, { imageTag: "oci" }, { imageTag: "index" }, { imageTag: "list" }],
      }),
    );

    const byDigest = Object.fromEntries(imageDetails.map((d) => [d.imageDigest, d]));
    expect(byDigest[docker]).toMatchObject({
      imageManifestMediaType: MEDIA_TYPES.dockerManifest,
      artifactMediaType: "application/vnd.docker.container.image.v1+json",
      imageTags: ["docker"],
    });
    expect(byDigest[oci]).toMatchObject({
      imageManifestMediaType: MEDIA_TYPES.ociManifest,
      artifactMediaType: "application/vnd.oci.image.config.v1+json",
    });
    expect(byDigest[index]?.imageManifestMediaType).toBe(MEDIA_TYPES.ociIndex);
    expect(byDigest[index]?.artifactMediaType).toBeUndefined();
    expect(byDigest[list]?.imageManifestMediaType).toBe(MEDIA_TYPES.dockerManifestList);
  });

  it("stores an index's manifests untagged, as buildx pushes them, one per platform plus the attestation", async () => {
    const { account, ecr } = setup();
    const index = account.ecr.pushIndex("api", "1.0.0", { platforms: ["linux/arm64"] });

    const { images = [] } = await ecr.send(
      new BatchGetImageCommand({ repositoryName: "api", imageIds: [{ imageDigest: index }] }),
    );
    const manifest = JSON.parse(images[0]?.imageManifest ?? "{}") as {
      mediaType: string;
      manifests: { digest: string; platform: { os: string; architecture: string } }[];
    };
    const all = await ecr.send(new DescribeImagesCommand({ repositoryName: "api" }));

    expect(images[0]?.imageManifestMediaType).toBe(MEDIA_TYPES.ociIndex);
    expect(manifest.mediaType).toBe(MEDIA_TYPES.ociIndex);
    expect(manifest.manifests.map((m) => `${m.platform.os}/${m.platform.architecture}`)).toEqual([
      "linux/arm64",
      "unknown/unknown",
    ]);
    const children = all.imageDetails?.filter((d) => d.imageDigest !== index) ?? [];
    expect(children.map((d) => d.imageDigest).sort()).toEqual(manifest.manifests.map((m) => m.digest).sort());
    expect(children.every((d) => d.imageTags === undefined)).toBe(true);
    expect(children.every((d) => d.imageManifestMediaType === MEDIA_TYPES.ociManifest)).toBe(true);
  });

  it("answers BatchGetImage with a failure entry, not an exception, for an image it does not hold", async () => {
    const { account, ecr } = setup();
    const digest = account.ecr.pushImage("api", "1.0.0");
    const missing = `sha256:${"0".repeat(64)}`;

    const out = await ecr.send(
      new BatchGetImageCommand({
        repositoryName: "api",
        imageIds: [
          { imageTag: "1.0.0" },
          { imageDigest: missing },
          { imageTag: "1.0.0", imageDigest: missing },
        ],
      }),
    );

    expect(out.images?.map((i) => [i.imageId?.imageDigest, i.imageManifestMediaType])).toEqual([
      [digest, MEDIA_TYPES.dockerManifest],
    ]);
    expect(out.failures?.map((f) => f.failureCode)).toEqual(["ImageNotFound", "ImageTagDoesNotMatchDigest"]);
  });

  it("refuses to delete a manifest that an image index still lists", async () => {
    const { account, ecr } = setup();
    const index = account.ecr.pushIndex("api", "1.0.0", { attestations: false });
    const { images = [] } = await ecr.send(
      new BatchGetImageCommand({ repositoryName: "api", imageIds: [{ imageDigest: index }] }),
    );
    const child = (JSON.parse(images[0]?.imageManifest ?? "{}") as { manifests: { digest: string }[] })
      .manifests[0]?.digest;

    const refused = await ecr.send(
      new BatchDeleteImageCommand({ repositoryName: "api", imageIds: [{ imageDigest: child }] }),
    );
    const deleted = await ecr.send(
      new BatchDeleteImageCommand({ repositoryName: "api", imageIds: [{ imageDigest: index }] }),
    );

    expect(refused.failures?.[0]?.failureCode).toBe("ImageReferencedByManifestList");
    expect(deleted.imageIds).toEqual([{ imageDigest: index }]);
  });
});
