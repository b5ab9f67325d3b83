import { existsSync, mkdirSync, rmSync } from "node:fs";
import { basename, join } from "node:path";
import { pathToFileURL } from "node:url";
import * as esbuild from "esbuild";
import { platformDir } from "./platform.ts";

/**
 * Bundles sst.config.ts the way the SST CLI does (pkg/js/js.go `Build`, pkg/project/project.go
 * `loadApp`, pkg/project/run.go `Run` in sst/sst): the same entry code, esbuild options, defines
 * (`$app`, `$cli`, `$dev`), injected shim (`platform/src/shim/run.js`) and provider imports
 * prepended to every file outside `.sst`. One addition: packages the platform imports that this
 * repository does not install resolve to stand-ins (scripts/sst/stand-ins, or a module whose every
 * export throws), where SST would have installed them into `.sst/platform/node_modules`.
 */

const stands = join(import.meta.dirname, "stand-ins");

/** SST's externals (js.go); everything else is bundled. */
const external = [
  "@pulumi/*",
  "undici",
  "@pulumiverse/*",
  "@sst-provider/*",
  "@aws-sdk/*",
  "esbuild",
  "archiver",
  "glob",
  "vite",
];

const banner = `
import { createRequire as topLevelCreateRequire } from 'module';
const require = topLevelCreateRequire(import.meta.url);
import { fileURLToPath as topLevelFileUrlToPath, URL as topLevelURL } from "url"
const __filename = topLevelFileUrlToPath(import.meta.url)
const __dirname = topLevelFileUrlToPath(new topLevelURL(".", import.meta.url))
`;

export interface App {
  name: string;
  stage: string;
  removal: "remove" | "retain" | "retain-all";
  home: string;
  providers: Record<string, Record<string, unknown>>;
  protect: boolean;
  version?: string;
}

export interface Cli {
  command: "deploy";
  dev: false;
  paths: { home: string; root: string; work: string; platform: string };
  state: { version: Record<string, number> };
}

function packageName(specifier: string): string {
  const parts = specifier.split("/");
  return specifier.startsWith("@") ? parts.slice(0, 2).join("/") : (parts[0] ?? specifier);
}

/** Resolves the platform's uninstalled external packages to stand-ins. */
function standIns(root: string): esbuild.Plugin {
  const installed = (name: string) => existsSync(join(root, "node_modules", name, "package.json"));
  const own: Record<string, string> = {
    "@pulumi/random": join(stands, "random.ts"),
    archiver: join(stands, "archiver.ts"),
  };
  const patterns = external.map((e) => new RegExp(`^${e.replace("*", ".*").replace("/", "\\/")}$`));
  return {
    name: "StandIns",
    setup(build) {
      build.onResolve({ filter: /^[@a-z]/ }, (args) => {
        if (!patterns.some((p) => p.test(args.path))) return undefined;
        const name = packageName(args.path);
        if (installed(name)) return undefined;
        const path = own[name];
        if (path) return { path };
        return { path: args.path, namespace: "missing" };
      });
      build.onLoad({ filter: /.*/, namespace: "missing" }, (args) => ({
        loader: "js",
        contents: missingModule(packageName(args.path)),
      }));
    },
  };
}

// esbuild's __toESM gives the importing module an object whose prototype is this module's, so the
// proxy prototype answers every named import; constructing or calling one says what is missing.
const missingModule = (name: string) => `
const fail = (what) => { throw new Error(${JSON.stringify(`${name} is not installed (offline SST run): `)} + what); };
const missing = (key) => new Proxy(function missingExport() {}, {
  construct: () => fail("new " + String(key)),
  apply: () => fail(String(key) + "()"),
});
module.exports = Object.create(new Proxy({}, {
  get: (_, key) => (key === "__esModule" || key === "then" ? undefined : missing(key)),
}));
`;

/** SST's "DisallowImports" plugin, on while it evaluates `app()`: sst.config.ts imports nothing at the top. */
const disallowImports: esbuild.Plugin = {
  name: "DisallowImports",
  setup(build) {
    build.onResolve({ filter: /.*/ }, (args) => {
      if (basename(args.importer) === "sst.config.ts" && args.kind === "import-statement") {
        return {
          errors: [{ text: `ErrTopLevelImport: sst.config.ts imports ${args.path} at the top level` }],
        };
      }
      return undefined;
    });
  },
};

/** SST's "InjectGlobals" plugin: prepends the provider imports to every file outside `.sst`. */
function injectGlobals(root: string, globals: string): esbuild.Plugin {
  return {
    name: "InjectGlobals",
    setup(build) {
      build.onLoad({ filter: /\.(js|ts|jsx|tsx)$/ }, async (args) => {
        if (args.path.startsWith(join(root, ".sst"))) return undefined;
        const { readFile } = await import("node:fs/promises");
        let contents = await readFile(args.path, "utf8");
        if (!args.path.includes(".sst")) contents = `${globals}\n${contents}`;
        return { contents, loader: "default" };
      });
    },
  };
}

async function build(
  root: string,
  outfile: string,
  opts: {
    code: string;
    banner?: string;
    define?: Record<string, string>;
    inject?: string[];
    globals?: string;
  },
): Promise<void> {
  mkdirSync(join(root, ".sst", "platform"), { recursive: true });
  await esbuild.build({
    banner: { js: banner + (opts.banner ?? "") },
    mainFields: ["module", "main"],
    format: "esm",
    platform: "node",
    sourcemap: "linked",
    stdin: { contents: opts.code, resolveDir: root, sourcefile: "eval.ts", loader: "ts" },
    nodePaths: [join(root, ".sst", "platform", "node_modules")],
    plugins: [
      standIns(root),
      ...(opts.globals === undefined ? [disallowImports] : [injectGlobals(root, opts.globals)]),
    ],
    external,
    define: opts.define ?? {},
    inject: opts.inject ?? [],
    outfile,
    write: true,
    bundle: true,
    metafile: true,
    logLevel: "silent",
  });
}

let evaluations = 0;

/** pkg/project/project.go: evaluates `app({ stage })`, then applies the CLI's defaults. */
export async function loadApp(root: string, stage: string): Promise<App> {
  // A new name per evaluation, as SST's (a timestamp): Node caches a module by its URL.
  const outfile = join(root, ".sst", "platform", `sst.config.app.${process.pid}.${++evaluations}.mjs`);
  await build(root, outfile, {
    banner: "function $config(input) { return input }",
    define: { $input: JSON.stringify({ stage }) },
    code: `
import mod from '${join(root, "sst.config.ts")}';
export default await mod.app({ stage: $input.stage || undefined });
`,
  });
  const { default: app } = (await import(pathToFileURL(outfile).href)) as { default: Partial<App> };
  rmSync(outfile, { force: true });
  rmSync(`${outfile}.map`, { force: true });
  if (!app.name || !app.home) throw new Error("sst.config.ts: app() must return a name and a home");
  const providers = (app.providers ?? {}) as App["providers"];
  if (!(app.home in providers)) providers[app.home] = {};
  return {
    ...app,
    name: app.name,
    home: app.home,
    stage,
    removal: app.removal ?? "retain",
    protect: app.protect ?? false,
    providers,
  };
}

/** pkg/project/run.go: the program Pulumi runs for `sst deploy`, written to `outfile`. */
export async function bundleProgram(root: string, app: App, cli: Cli, outfile: string): Promise<void> {
  const providers = Object.keys(app.providers).map((name) => `import * as ${name} from "@pulumi/${name}";`);
  const globals = [...providers, `import * as sst from "${join(platformDir, "src/components")}";`].join("\n");
  await build(root, outfile, {
    define: { $app: JSON.stringify(app), $cli: JSON.stringify(cli), $dev: "false" },
    inject: [join(platformDir, "src/shim/run.js")],
    globals,
    code: `
      import { run } from "${join(platformDir, "src/auto/run.ts")}";
			import mod from '${join(root, "sst.config.ts")}';
      const result = await run(mod.run);
      export default result;
    `,
  });
}
