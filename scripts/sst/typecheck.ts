import { spawnSync } from "node:child_process";
import { join, resolve } from "node:path";
import { ensurePlatform } from "./platform.ts";

/**
 * Type-checks sst.config.ts and stacks/ against SST's real platform (tsconfig.sst.json): the
 * `config.d.ts` that `sst install` writes, which declares the `$config`, `$app`, `$util`, `sst.*`
 * and `aws.*` globals from the platform's sources and `@pulumi/aws`.
 *
 * The platform ships as TypeScript sources, not declarations, so tsc also checks those sources,
 * under this repository's stricter options (verbatimModuleSyntax, noUncheckedIndexedAccess, ...)
 * and without the providers SST installs beside them (@pulumi/random, ...). Their diagnostics are
 * SST's, not ours: only diagnostics in files outside `.sst/` fail the check.
 */

const root = resolve(import.meta.dirname, "..", "..");
ensurePlatform();
const tsc = spawnSync(
  process.execPath,
  [join(root, "node_modules", "typescript", "bin", "tsc"), "-p", "tsconfig.sst.json", "--pretty", "false"],
  { cwd: root, encoding: "utf8", maxBuffer: 64 * 1024 * 1024 },
);
if (tsc.error) throw tsc.error;

// A diagnostic starts at column 0 with `path(line,col): error TSnnnn:`; its detail lines are indented.
const diagnostics: string[][] = [];
for (const line of `${tsc.stdout}${tsc.stderr}`.split("\n")) {
  if (line === "") continue;
  const last = diagnostics.at(-1);
  if (/^\s/.test(line) && last) last.push(line);
  else diagnostics.push([line]);
}
const ours = diagnostics.filter(([head]) => !head?.startsWith(".sst/"));
for (const d of ours) console.error(d.join("\n"));
if (ours.length > 0 || (tsc.status !== 0 && diagnostics.length === 0)) {
  console.error(`SST type-check: ${ours.length} error(s) in sst.config.ts, stacks/ or scripts/sst/`);
  process.exit(1);
}
console.log(`SST type-check: sst.config.ts and stacks/ agree with the SST platform's declarations`);
