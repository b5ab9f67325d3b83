import { spawnSync } from "node:child_process";
import { existsSync, statSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath, pathToFileURL } from "node:url";
import { functions } from "@switchyard/core/wiring";
import { type BuildOptions, build } from "esbuild";
import lambdaBundlePlugins from "../../../../stacks/bundle-plugins.ts";
import { type ColdStart, measureColdStart } from "./cold-start.ts";
import { median, round } from "./stats.ts";

export interface FunctionBundle {
  name: string;
  /** Minified bundle size. */
  bytes: number;
  /** Bytes of AWS SDK v3 (@aws-sdk/*, @smithy/*) in the bundle. */
  awsSdkBytes: number;
  /** The three packages that weigh most in the bundle, for whoever wants it smaller. */
  heaviest: { package: string; bytes: number }[];
  /** Median wall time of `node` importing the bundle, and of `node -e ""`, and the difference. */
  processMs: number;
  bareNodeMs: number;
  coldImportMs: number;
  /** Set when importing the bundle failed (it must import with no environment at all). */
  importError?: string;
}

export interface Bundles {
  unit: "bytes";
  /** AWS SDK v3 is bundled: see `bundleOptions`. */
  awsSdk: "bundled";
  runs: number;
  functions: FunctionBundle[];
  /** The rollback's cold import beside its floor, timed alternately in one loop (`measureImportFloor`). */
  rollbackFloor: ImportFloor;
  /** A cold rollback container's import and first invocation, up to its first AWS request. */
  rollbackColdStart: ColdStart;
}

/**
 * A handler's cold import next to its floor: a bundle of the same libraries (each SDK client the
 * handler's bundle holds, Powertools logger and metrics, middy, zod) and none of Switchyard's
 * code. What is over the floor is Switchyard's own; the floor is what these libraries cost.
 */
export interface ImportFloor {
  /** The packages the floor bundle imports. */
  packages: string[];
  floorBytes: number;
  /** Medians over bare Node, of imports timed alternately with the handler's. */
  floorMs: number;
  handlerMs: number;
  /** handlerMs / floorMs. */
  ratio: number;
  /**
   * The floor of the rollback's path alone: the SDK clients of the calls it sends up to and
   * including UpdateAlias (`calls`, as the bench's rollback made them), the logger, middy and zod
   * (the event's validation), nothing it needs only afterwards (the stop, the notice, the dead
   * letter, metrics). No rollback built on these libraries imports faster than this.
   */
  path: { calls: string[]; packages: string[]; bytes: number; ms: number };
}

/** The repository root: wiring names handler modules from there (SST style, `path/file.export`). */
const ROOT = fileURLToPath(new URL("../../../../", import.meta.url));

/**
 * SST's Node.js build for Lambda, as its source has it (sst/sst pkg/runtime/node/build.go):
 * esbuild with bundle, ESM, platform node, mainFields module,main, keepNames, and a banner that
 * gives ESM bundles `require`. Its externals are only `sharp`, `pg-native` and what
 * `nodejs.install`/`nodejs.esbuild.external` add, so AWS SDK v3 is bundled on nodejs22.x as
 * well, and so it is here. `nodejs.minify` is on for deploys. The target is the runtime's. The
 * plugins are the ones the stack names in `nodejs.plugins` (stacks/bundle-plugins.ts).
 */
const bundleOptions: BuildOptions = {
  bundle: true,
  minify: true,
  keepNames: true,
  platform: "node",
  format: "esm",
  target: "node22",
  mainFields: ["module", "main"],
  banner: {
    js: [
      `import { createRequire as topLevelCreateRequire } from 'module';`,
      "const require = topLevelCreateRequire(import.meta.url);",
    ].join("\n"),
  },
  plugins: lambdaBundlePlugins,
  metafile: true,
  logLevel: "silent",
};

/**
 * Bundles every function in core's wiring and times a cold `import()` of each bundle.
 * `rollbackPath` is the rollback's AWS calls before its UpdateAlias (`RollbackLatency.path`).
 */
export async function measureBundles(runs: number, rollbackPath: readonly string[]): Promise<Bundles> {
  const entries = functions.map((spec) => {
    const dot = spec.handler.lastIndexOf(".");
    const file = join(ROOT, `${spec.handler.slice(0, dot)}.ts`);
    if (!existsSync(file))
      throw new Error(`bench: handler module ${file} of function ${spec.name} does not exist`);
    return { name: spec.name, file, exportName: spec.handler.slice(dot + 1) };
  });
  const outdir = await mkdtemp(join(tmpdir(), "switchyard-bench-"));
  try {
    // One build, one entry point per function: the bundles are as separate builds would make them.
    const result = await build({
      ...bundleOptions,
      entryPoints: Object.fromEntries(entries.map((e) => [e.name, e.file])),
      outdir,
      outExtension: { ".js": ".mjs" },
      absWorkingDir: ROOT,
    });
    if (!result.metafile) throw new Error("bench: esbuild returned no metafile");
    const outputs = Object.entries(result.metafile.outputs);
    const bareNodeMs = median(Array.from({ length: runs }, () => timeNode(["-e", ""]).ms));
    const built = entries.map((entry) => {
      const found = outputs.find(([, o]) => o.entryPoint && join(ROOT, o.entryPoint) === entry.file);
      if (!found) throw new Error(`bench: esbuild wrote no bundle for ${entry.name}`);
      return { entry, bundle: join(ROOT, found[0]), output: found[1] };
    });
    const rollback = built.find((b) => b.entry.name === "rollback");
    if (!rollback) throw new Error("bench: core's wiring has no rollback function");
    return {
      unit: "bytes",
      awsSdk: "bundled",
      runs,
      functions: built.map(({ entry, bundle, output }) => {
        if (!output.exports.includes(entry.exportName)) {
          throw new Error(`bench: the bundle of ${entry.name} does not export "${entry.exportName}"`);
        }
        const timings = Array.from({ length: runs }, () => timeImport(bundle));
        const failed = timings.find((t) => t.error);
        const processMs = median(timings.map((t) => t.ms));
        return {
          name: entry.name,
          bytes: output.bytes,
          awsSdkBytes: byPackage(output.inputs)
            .filter(([name]) => /^@(aws-sdk|smithy)\//.test(name))
            .reduce((sum, [, bytes]) => sum + bytes, 0),
          heaviest: byPackage(output.inputs)
            .slice(0, 3)
            .map(([name, bytes]) => ({ package: name, bytes })),
          processMs: round(processMs, 1),
          bareNodeMs: round(bareNodeMs, 1),
          coldImportMs: round(processMs - bareNodeMs, 1),
          ...(failed?.error ? { importError: failed.error } : {}),
        };
      }),
      rollbackFloor: await measureImportFloor(
        rollback.bundle,
        rollback.output.inputs,
        rollbackPath,
        outdir,
        runs,
      ),
      rollbackColdStart: await measureColdStart(rollback.bundle, outdir, runs, bundleSource),
    };
  } finally {
    await rm(outdir, { recursive: true, force: true });
  }
}

/** Bundles `contents` (an entry's source) as the stack bundles a function, resolved from the functions package. */
async function bundleSource(contents: string, outfile: string): Promise<void> {
  await build({
    ...bundleOptions,
    stdin: { contents, resolveDir: join(ROOT, "packages/functions/src"), loader: "js" },
    outfile,
    absWorkingDir: ROOT,
  });
}

/** The libraries every handler's runtime takes, besides the SDK clients it declares. */
const RUNTIME_LIBRARIES: Record<string, string> = {
  "@aws-lambda-powertools/logger": "Logger",
  "@aws-lambda-powertools/metrics": "Metrics",
  "@middy/core": "default",
  zod: "object",
};

/** Those a bus handler uses before its reaction acts: Metrics counts the outcome afterwards. */
const BEFORE_ACTING = ["@aws-lambda-powertools/logger", "@middy/core", "zod"];

/** The SDK package the code speaks to each service of the rollback's path with (DynamoDB: the document client). */
const PACKAGE_OF_SERVICE: Record<string, string> = {
  lambda: "@aws-sdk/client-lambda",
  dynamodb: "@aws-sdk/lib-dynamodb",
  cloudwatch: "@aws-sdk/client-cloudwatch",
};

/**
 * Bundles the floors of the handler bundle `handler` (see `ImportFloor`; `inputs` are its
 * metafile inputs) beside it, then times a cold import of each, alternately, `runs * 3` times,
 * with bare Node in the same loop.
 */
async function measureImportFloor(
  handler: string,
  inputs: Record<string, { bytesInOutput: number }>,
  path: readonly string[],
  outdir: string,
  runs: number,
): Promise<ImportFloor> {
  const sdk = byPackage(inputs)
    .map(([pkg]) => pkg)
    .filter((pkg) => /^@aws-sdk\/(client-|lib-dynamodb$)/.test(pkg))
    .sort();
  const calls = [...path, "lambda:UpdateAlias"];
  const onPath = [
    ...new Set(
      calls.map((call) => {
        const service = call.split(":")[0] ?? "";
        const pkg = PACKAGE_OF_SERVICE[service];
        if (!pkg || !sdk.includes(pkg))
          throw new Error(
            `bench: the rollback's path calls ${call}, whose SDK package the bench does not know`,
          );
        return pkg;
      }),
    ),
  ].sort();
  const floor = await floorBundle(sdk, Object.keys(RUNTIME_LIBRARIES), join(outdir, "import-floor.mjs"));
  const pathFloor = await floorBundle(onPath, BEFORE_ACTING, join(outdir, "path-floor.mjs"));
  const bare: number[] = [];
  const floorMs: number[] = [];
  const pathMs: number[] = [];
  const handlerMs: number[] = [];
  for (let i = 0; i < runs * 3; i++) {
    bare.push(timeNode(["-e", ""]).ms);
    floorMs.push(timeImport(floor.file).ms);
    pathMs.push(timeImport(pathFloor.file).ms);
    handlerMs.push(timeImport(handler).ms);
  }
  const overBare = (sample: number[]) => median(sample) - median(bare);
  return {
    packages: floor.packages,
    floorBytes: floor.bytes,
    floorMs: round(overBare(floorMs), 1),
    handlerMs: round(overBare(handlerMs), 1),
    ratio: round(overBare(handlerMs) / overBare(floorMs), 2),
    path: { calls, packages: pathFloor.packages, bytes: pathFloor.bytes, ms: round(overBare(pathMs), 1) },
  };
}

/** A bundle that imports each SDK package's client class and each of `libraries`, and nothing else. */
async function floorBundle(
  sdk: readonly string[],
  libraries: readonly string[],
  file: string,
): Promise<{ file: string; packages: string[]; bytes: number }> {
  // Each SDK package's client class: importing it is what constructing the client needs.
  const imports: [string, string][] = [];
  for (const pkg of sdk) {
    const exported = Object.keys(await import(pkg)).filter((key) => /^[A-Z]\w*Client$/.test(key));
    const client = exported.find((key) => key.endsWith("DocumentClient")) ?? exported[0];
    if (!client) throw new Error(`bench: ${pkg} exports no client class`);
    imports.push([pkg, client]);
  }
  for (const library of libraries) imports.push([library, RUNTIME_LIBRARIES[library] ?? "default"]);
  const contents = [
    ...imports.map(([pkg, binding], i) =>
      binding === "default" ? `import m${i} from "${pkg}";` : `import { ${binding} as m${i} } from "${pkg}";`,
    ),
    `export const handler = async () => [${imports.map((_, i) => `m${i}`).join(", ")}];`,
  ].join("\n");
  await bundleSource(contents, file);
  return { file, packages: imports.map(([pkg]) => pkg), bytes: statSync(file).size };
}

/**
 * Runs `node` with an empty environment, as a Lambda container has none of ours: a handler
 * module that needs an environment variable at import (rather than when it builds its context
 * on the first invocation) fails here.
 */
function timeNode(args: string[]): { ms: number; error?: string } {
  const start = performance.now();
  const child = spawnSync(process.execPath, args, { env: {}, encoding: "utf8" });
  const ms = performance.now() - start;
  if (child.status === 0) return { ms };
  const firstLine = (child.stderr || child.error?.message || `exit ${child.status}`)
    .split("\n")
    .find((line) => /Error|error/.test(line));
  return { ms, error: (firstLine ?? child.stderr.split("\n")[0] ?? "").trim().slice(0, 300) };
}

function timeImport(bundle: string): { ms: number; error?: string } {
  const url = JSON.stringify(pathToFileURL(bundle).href);
  return timeNode(["--input-type=module", "-e", `await import(${url});`]);
}

/** Bytes in the bundle per npm package (or per workspace package), heaviest first. */
function byPackage(inputs: Record<string, { bytesInOutput: number }>): [string, number][] {
  const sizes = new Map<string, number>();
  for (const [path, input] of Object.entries(inputs)) {
    const match = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(path);
    const name = match?.[1] ?? path.split("/").slice(0, 2).join("/");
    sizes.set(name, (sizes.get(name) ?? 0) + input.bytesInOutput);
  }
  return [...sizes].sort((a, b) => b[1] - a[1]);
}
