import { fileURLToPath } from "node:url";
import { build, type OnResolveArgs, type PluginBuild } from "esbuild";
import { afterEach, describe, expect, it } from "vitest";
import { defaultProvider } from "../packages/functions/src/env-credentials.ts";
import plugins, { envCredentialsOnly } from "../stacks/bundle-plugins.ts";
import { BUNDLE_PLUGINS } from "../stacks/plan/stack.ts";

const ROOT = fileURLToPath(new URL("../", import.meta.url));
const ENV_ONLY = "packages/functions/src/env-credentials.ts";
const CHAIN = "@aws-sdk/credential-provider-node";

/** Bundles one line that imports the SDK's default chain, as a client's runtimeConfig does. */
async function bundleInputs(): Promise<string[]> {
  const result = await build({
    stdin: { contents: `export { defaultProvider } from "${CHAIN}";`, resolveDir: ROOT, loader: "js" },
    bundle: true,
    platform: "node",
    format: "esm",
    mainFields: ["module", "main"],
    plugins,
    write: false,
    metafile: true,
    logLevel: "silent",
  });
  return Object.keys(result.metafile.inputs);
}

describe("the Lambda bundles' esbuild plugins (stacks/bundle-plugins.ts)", () => {
  it("is the file the stack plan names as SST's nodejs.plugins", async () => {
    const named = await import(`${ROOT}${BUNDLE_PLUGINS}`);

    expect(named.default).toBe(plugins);
  });

  it("bundles the environment's credentials where the SDK clients import the default chain", async () => {
    const inputs = await bundleInputs();

    expect(inputs).toContain(ENV_ONLY);
    expect(inputs.filter((i) => i.includes("credential-provider"))).toEqual([]);
  });

  it("redirects the chain through SST's plugin bridge, which tests filters against the string 'undefined'", async () => {
    // platform/functions/nodejs-runtime/plugin.mjs: `new RegExp(options.filter).test(msg.path)`
    // on a message whose path is in msg.value, then `callback(msg.value)`.
    const hooks: { filter: RegExp; callback: (args: OnResolveArgs) => unknown }[] = [];
    envCredentialsOnly.setup({
      onResolve: (options: { filter: RegExp }, callback: (args: OnResolveArgs) => unknown) =>
        hooks.push({ filter: options.filter, callback }),
    } as unknown as PluginBuild);
    const resolve = (path: string) =>
      hooks
        .filter((h) => new RegExp(h.filter).test(String(undefined)))
        .map((h) => h.callback({ path } as OnResolveArgs))
        .find(Boolean);

    expect(resolve(CHAIN)).toEqual({ path: `${ROOT}${ENV_ONLY}` });
    expect(resolve("@aws-sdk/client-lambda")).toBeUndefined();
  });
});

describe("the environment's credentials (packages/functions/src/env-credentials.ts)", () => {
  const saved = { ...process.env };
  afterEach(() => {
    for (const key of ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"]) {
      if (saved[key] === undefined) delete process.env[key];
      else process.env[key] = saved[key];
    }
  });

  it("returns the execution role's credentials Lambda puts in the environment", async () => {
    process.env.AWS_ACCESS_KEY_ID = "AKIDEXAMPLE";
    process.env.AWS_SECRET_ACCESS_KEY = "not-a-real-secret";
    process.env.AWS_SESSION_TOKEN = "session";

    await expect(defaultProvider()()).resolves.toEqual({
      accessKeyId: "AKIDEXAMPLE",
      secretAccessKey: "not-a-real-secret",
      sessionToken: "session",
    });
  });

  it("fails naming the variables when the environment has no credentials", async () => {
    delete process.env.AWS_ACCESS_KEY_ID;
    delete process.env.AWS_SECRET_ACCESS_KEY;

    await expect(defaultProvider()()).rejects.toThrow(
      /AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are not set/,
    );
  });
});
