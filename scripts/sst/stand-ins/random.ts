import { randomBytes } from "node:crypto";
import * as pulumi from "@pulumi/pulumi";

/**
 * Stands in for `@pulumi/random` (SST's platform depends on it; this repository does not install
 * it): its `RandomBytes` is the custom resource `random:index/randomBytes:RandomBytes`, which every
 * `sst.aws.Function` creates once for the key that encrypts its `resource.enc`. Registered with the
 * same type token, the Pulumi mocks answer it like any other resource.
 */
export class RandomBytes extends pulumi.CustomResource {
  declare readonly base64: pulumi.Output<string>;
  declare readonly hex: pulumi.Output<string>;
  constructor(name: string, args: { length: pulumi.Input<number> }, opts?: pulumi.CustomResourceOptions) {
    const bytes = randomBytes(32);
    super(
      "random:index/randomBytes:RandomBytes",
      name,
      { ...args, base64: bytes.toString("base64"), hex: bytes.toString("hex") },
      opts,
    );
  }
}

/** Not used by a Function; any other use fails loudly. */
export class RandomPassword {
  constructor() {
    throw new Error("@pulumi/random is not installed: only RandomBytes is available in the offline SST run");
  }
}
