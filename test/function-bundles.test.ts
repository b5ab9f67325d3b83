import { fileURLToPath } from "node:url";
import { build, type Metafile } from "esbuild";
import { beforeAll, describe, expect, it } from "vitest";
import { functions } from "../packages/core/src/wiring.ts";
import plugins from "../stacks/bundle-plugins.ts";

const ROOT = fileURLToPath(new URL("../", import.meta.url));
const CORE = "packages/core/src/";

/**
 * The config's schema: config/schema.ts, what parses with it, and the sections it mounts. The
 * functions read the prepared config (ADR 0033) and never parse one, so no function bundle may
 * hold these modules: esbuild keeps every top-level call of a module it bundles, so a function
 * that imported one of them for a constant would build that schema on every cold start (ADR 0035).
 */
const CONFIG_SCHEMA = [
  "config/schema.ts",
  "config/parse.ts",
  "config/load.ts",
  "config/iam.ts",
  "deployments/config.ts",
  "cost/config.ts",
  "failover/config.ts",
  "secrets/config.ts",
].map((path) => CORE + path);

/** The esbuild options the stack's functions are bundled with (SST's, see bench/bundles.ts), without writing. */
const bundle = (entryPoints: Record<string, string>) =>
  build({
    entryPoints,
    absWorkingDir: ROOT,
    bundle: true,
    minify: true,
    platform: "node",
    format: "esm",
    target: "node22",
    mainFields: ["module", "main"],
    plugins,
    outdir: "out",
    write: false,
    metafile: true,
    logLevel: "silent",
  });

/** The core modules the bundle for each function holds code of, by function name. */
let held: Map<string, string[]>;

beforeAll(async () => {
  const entries = Object.fromEntries(
    functions.map((f) => [f.name, `${f.handler.slice(0, f.handler.lastIndexOf("."))}.ts`]),
  );
  const { metafile } = await bundle(entries);
  held = new Map(
    Object.values(metafile.outputs)
      .filter((o): o is Metafile["outputs"][string] & { entryPoint: string } => o.entryPoint !== undefined)
      .map((o) => [
        functions.find((f) => o.entryPoint === `${f.handler.slice(0, f.handler.lastIndexOf("."))}.ts`)
          ?.name ?? "",
        Object.entries(o.inputs)
          .filter(([path, input]) => path.startsWith(CORE) && input.bytesInOutput > 0)
          .map(([path]) => path),
      ]),
  );
}, 120_000);

describe("the functions' bundles", () => {
  it("are built, one per function in core's wiring", () => {
    expect([...held.keys()].sort()).toEqual(functions.map((f) => f.name).sort());
    // The check below looks at real bundles: each holds core's code.
    for (const modules of held.values()) expect(modules.length).toBeGreaterThan(5);
  });

  it.each(functions.map((f) => [f.name]))("%s holds no part of the config's schema", (name) => {
    expect(held.get(name)?.filter((path) => CONFIG_SCHEMA.includes(path))).toEqual([]);
  });

  it("names every section config/schema.ts mounts", async () => {
    // A new section imported by config/schema.ts must join CONFIG_SCHEMA, or the check above misses it.
    const { metafile } = await bundle({ schema: `${CORE}config/schema.ts` });
    const mounted = (metafile.inputs[`${CORE}config/schema.ts`]?.imports ?? [])
      .map((i) => i.path)
      .filter((path) => path.startsWith(CORE) && path !== `${CORE}config/zod.ts`);

    expect(mounted.length).toBeGreaterThan(3);
    expect(mounted.filter((path) => !CONFIG_SCHEMA.includes(path))).toEqual([]);
  });
});
