import { createCipheriv } from "node:crypto";
import { existsSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { basename, dirname, extname, isAbsolute, join } from "node:path";
import * as esbuild from "esbuild";

/**
 * Answers the RPC calls SST's components make to the CLI (`SST_SERVER`, JSON-RPC 1.0 over HTTP
 * POST /rpc, as platform/src/components/rpc/rpc.ts sends them) on 127.0.0.1:
 * - `Provider.Aws.Bootstrap`: the bootstrap bucket and ECR repository (fixed names here);
 * - `Runtime.Build`: the CLI's Node.js build (pkg/runtime/runtime.go `Collection.Build` and
 *   pkg/runtime/node/build.go in sst/sst), with the same esbuild options, so each handler is
 *   bundled exactly as `sst deploy` bundles it.
 * Every call is recorded for the test.
 */

export interface BuildInput {
  functionID: string;
  handler: string;
  bundle?: string;
  runtime: string;
  encryptionKey?: string;
  links?: Record<string, unknown>;
  copyFiles?: { from: string; to: string; isDir: boolean }[];
  isContainer?: boolean;
  dev: boolean;
  properties: NodeProperties;
}

export interface NodeProperties {
  format?: "esm" | "cjs";
  minify?: boolean;
  banner?: string;
  install?: Record<string, string>;
  loader?: Record<string, string>;
  splitting?: boolean;
  sourcemap?: boolean;
  architecture?: string;
  /** A file that default-exports esbuild plugins, from the project's root (build.go `plugin`). */
  plugins?: string;
  esbuild?: {
    target?: string;
    external?: string[];
    define?: Record<string, string>;
    keepNames?: boolean;
    mainFields?: string[];
    conditions?: string[];
    nodePaths?: string[];
  };
}

export interface BuildOutput {
  handler: string;
  out: string;
  errors: string[];
  sourcemaps: string[];
}

export interface RpcCall {
  method: string;
  args: unknown;
}

/** build.go `targetMap`: the target each Lambda runtime gets when `esbuild.target` names none SST knows. */
const runtimeTargets: Record<string, string> = {
  "nodejs24.x": "es2024",
  "nodejs22.x": "es2023",
  "nodejs20.x": "es2023",
  "nodejs18.x": "es2022",
};

/** node.go `esTargetMap`: the only `esbuild.target` values SST passes on; anything else is ignored. */
export const sstEsbuildTargets = new Set([
  "esnext",
  "es5",
  "es6",
  "es2015",
  "es2016",
  "es2017",
  "es2018",
  "es2019",
  "es2020",
  "es2021",
  "es2022",
  "es2023",
]);

const NODE_EXTENSIONS = [".ts", ".tsx", ".mts", ".cts", ".js", ".jsx", ".mjs", ".cjs"];

async function buildNode(root: string, input: BuildInput, out: string): Promise<BuildOutput> {
  const props = input.properties;
  const options = props.esbuild ?? {};
  // node.go getFile: the handler's module, by extension.
  const base = basename(input.handler).split(".").slice(0, -1).join(".");
  const file = NODE_EXTENSIONS.map((ext) => join(dirname(input.handler), base + ext))
    .map((f) => (isAbsolute(f) ? f : join(root, f)))
    .find((f) => existsSync(f));
  if (!file) throw new Error(`Handler not found: ${input.handler}`);
  const esm = props.format !== "cjs";
  const target = join(out, `bundle${esm ? ".mjs" : ".cjs"}`);
  const requested = options.target?.toLowerCase();
  const result = await esbuild.build({
    entryPoints: [file],
    platform: "node",
    external: ["sharp", "pg-native", ...Object.keys(props.install ?? {}), ...(options.external ?? [])],
    keepNames: options.keepNames ?? true,
    bundle: true,
    splitting: props.splitting ?? false,
    metafile: true,
    outfile: target,
    sourcemap: "linked",
    write: true,
    format: esm ? "esm" : "cjs",
    target:
      requested && sstEsbuildTargets.has(requested)
        ? requested === "es6"
          ? "es2015"
          : requested
        : runtimeTargets[input.runtime],
    mainFields: options.mainFields?.length ? options.mainFields : esm ? ["module", "main"] : ["main"],
    conditions: options.conditions ?? [],
    banner: {
      js: esm
        ? [
            `import { createRequire as topLevelCreateRequire } from 'module';`,
            "const require = topLevelCreateRequire(import.meta.url);",
            `import { fileURLToPath as topLevelFileUrlToPath, URL as topLevelURL } from "url"`,
            "const __filename = topLevelFileUrlToPath(import.meta.url)",
            `const __dirname = topLevelFileUrlToPath(new topLevelURL(".", import.meta.url))`,
            props.banner ?? "",
          ].join("\n")
        : (props.banner ?? ""),
    },
    nodePaths: options.nodePaths ?? [],
    define: options.define ?? {},
    plugins: props.plugins ? (await import(join(root, props.plugins))).default : [],
    ...(props.minify ? { minifyWhitespace: true, minifySyntax: true, minifyIdentifiers: true } : {}),
    logLevel: "silent",
  });
  return {
    handler: `bundle${extname(input.handler)}`,
    out,
    errors: result.errors.map((e) => e.text),
    sourcemaps: Object.keys(result.metafile.outputs)
      .filter((f) => f.endsWith(".map"))
      .map((f) => (isAbsolute(f) ? f : join(process.cwd(), f))),
  };
}

/** runtime.go Collection.Build: a clean `<work>/artifacts/<id>-src`, then `resource.enc`. */
async function runtimeBuild(root: string, work: string, input: BuildInput): Promise<BuildOutput> {
  if (input.dev || input.isContainer) throw new Error("Runtime.Build stub: only zip deploy builds");
  if (!input.runtime.startsWith("node")) throw new Error(`Runtime.Build stub: runtime ${input.runtime}`);
  let result: BuildOutput;
  if (input.bundle) {
    result = { handler: input.handler, out: input.bundle, errors: [], sourcemaps: [] };
  } else {
    const out = join(work, "artifacts", `${input.functionID}-src`);
    rmSync(out, { recursive: true, force: true });
    mkdirSync(out, { recursive: true });
    result = await buildNode(root, input, out);
  }
  if (input.encryptionKey) {
    const cipher = createCipheriv(
      "aes-256-gcm",
      Buffer.from(input.encryptionKey, "base64"),
      Buffer.alloc(12),
    );
    const sealed = Buffer.concat([
      cipher.update(JSON.stringify(input.links ?? {})),
      cipher.final(),
      cipher.getAuthTag(),
    ]);
    writeFileSync(join(result.out, "resource.enc"), sealed);
  }
  return result;
}

export async function startRpcServer(opts: {
  root: string;
  work: string;
  account: string;
}): Promise<{ url: string; calls: RpcCall[]; inFlight(): number; close(): Promise<void> }> {
  const calls: RpcCall[] = [];
  let inFlight = 0;
  const methods: Record<string, (args: never) => Promise<unknown>> = {
    "Provider.Aws.Bootstrap": async ({ region }: { region: string }) => ({
      asset: `sst-asset-${opts.account}-${region}`,
      assetEcrRegistryId: opts.account,
      assetEcrUrl: `${opts.account}.dkr.ecr.${region}.amazonaws.com/sst-asset`,
      state: `sst-state-${opts.account}-${region}`,
      appsyncHttp: "",
      appsyncRealtime: "",
    }),
    "Runtime.Build": (input: BuildInput) => runtimeBuild(opts.root, opts.work, input),
  };
  const server: Server = createServer((req, res) => {
    let body = "";
    inFlight++;
    res.on("close", () => {
      inFlight--;
    });
    req.on("data", (chunk) => {
      body += chunk;
    });
    req.on("end", async () => {
      const { method, params } = JSON.parse(body) as { method: string; params: unknown[] };
      calls.push({ method, args: params[0] });
      const handler = methods[method];
      const reply = (value: object) => {
        res.writeHead(200, { "content-type": "application/json" });
        res.end(JSON.stringify(value));
      };
      if (!handler) return reply({ result: null, error: `rpc: can't find method ${method}` });
      try {
        reply({ result: await handler(params[0] as never), error: null });
      } catch (error) {
        reply({ result: null, error: error instanceof Error ? error.message : String(error) });
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    calls,
    inFlight: () => inFlight,
    close: () => new Promise<void>((resolve, reject) => server.close((e) => (e ? reject(e) : resolve()))),
  };
}
