import { fileURLToPath } from "node:url";
import type { Plugin } from "esbuild";

/**
 * The esbuild plugins of every Lambda bundle. SST loads this file by its `nodejs.plugins` path
 * (stacks/switchyard.ts; SST's Go build passes on no `esbuild.alias`, only `target` and
 * `external`, so a plugin is the one way to redirect an import), and the bench bundles with the
 * same list (packages/cli/src/bench/bundles.ts). It runs in plain Node, so it imports nothing.
 */

/** Where the SDK clients import their default credential chain. */
const CHAIN = "@aws-sdk/credential-provider-node";
const ENV_ONLY = fileURLToPath(new URL("../packages/functions/src/env-credentials.ts", import.meta.url));

/**
 * The SDK clients' default credential chain → the environment's credentials only
 * (packages/functions/src/env-credentials.ts): every bundle ~110 KB smaller (the SSO, STS,
 * shared-file, process, web-identity, container and instance-metadata providers), and no bundle
 * loads node:http at import, nor with it Node's undici (ADR 0031). SST's plugin bridge
 * (platform/functions/nodejs-runtime/plugin.mjs) tests each filter against the string
 * "undefined" rather than the import's path and passes every import to the callback that
 * matches, so the filter takes both and the callback checks the path itself.
 */
export const envCredentialsOnly: Plugin = {
  name: "switchyard-env-credentials",
  setup(build) {
    build.onResolve({ filter: /^(@aws-sdk\/credential-provider-node|undefined)$/ }, (args) =>
      args.path === CHAIN ? { path: ENV_ONLY } : undefined,
    );
  },
};

export default [envCredentialsOnly];
