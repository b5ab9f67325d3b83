import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/**
 * SST's platform (components, shims, the `$config` declarations) is not in the `sst` npm package:
 * the CLI binary in `sst-<os>-<arch>` carries it as a Go `embed.FS` (platform/platform.go in
 * sst/sst: `//go:embed dist/* src/* functions/* package.json tsconfig.json bun.lockb`), and
 * `sst install` copies it to `.sst/platform` before downloading providers. This reads the same
 * files out of the installed binary, offline, so the type-check and the Pulumi-mocks run use
 * SST's real platform.
 *
 * A Go `embed.FS` is a pointer to a sorted array of `{ name string; data string; hash [16]byte }`
 * (48 bytes on 64-bit); each string is a pointer into the binary and a length. We find the array
 * by its `package.json` entry (the platform's, "@sst/platform") and walk it both ways.
 */

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");
export const platformDir = join(root, ".sst", "platform");

interface Segment {
  vaddr: bigint;
  offset: bigint;
  size: bigint;
}

function binaryPath(): string {
  const pkg = `sst-${process.platform}-${process.arch}`;
  const require = createRequire(join(root, "package.json"));
  return join(dirname(require.resolve(`${pkg}/package.json`)), "bin", "sst");
}

function sstVersion(): string {
  return JSON.parse(readFileSync(join(root, "node_modules", "sst", "package.json"), "utf8")).version;
}

/** The loadable segments of a 64-bit little-endian ELF file, to map addresses to file offsets. */
function elfSegments(bin: Buffer): Segment[] {
  if (bin.readUInt32BE(0) !== 0x7f454c46 || bin[4] !== 2 || bin[5] !== 1) {
    throw new Error("the SST binary is not a 64-bit little-endian ELF file; only Linux binaries are read");
  }
  const phoff = Number(bin.readBigUInt64LE(0x20));
  const phentsize = bin.readUInt16LE(0x36);
  const phnum = bin.readUInt16LE(0x38);
  const segments: Segment[] = [];
  for (let i = 0; i < phnum; i++) {
    const at = phoff + i * phentsize;
    if (bin.readUInt32LE(at) !== 1) continue; // PT_LOAD
    segments.push({
      offset: bin.readBigUInt64LE(at + 8),
      vaddr: bin.readBigUInt64LE(at + 16),
      size: bin.readBigUInt64LE(at + 32), // p_filesz: only bytes present in the file
    });
  }
  return segments;
}

interface Entry {
  name: string;
  data: Buffer;
}

/** Reads the platform's files out of the binary's embedded file system. */
export function readEmbeddedPlatform(bin: Buffer): Entry[] {
  const segments = elfSegments(bin);
  const toOffset = (addr: bigint, length: bigint): number | undefined => {
    for (const s of segments) {
      if (addr >= s.vaddr && addr + length <= s.vaddr + s.size) return Number(addr - s.vaddr + s.offset);
    }
    return undefined;
  };
  const readString = (at: number): Buffer | undefined => {
    if (at + 16 > bin.length) return undefined;
    const ptr = bin.readBigUInt64LE(at);
    const len = bin.readBigUInt64LE(at + 8);
    if (len === 0n) return Buffer.alloc(0);
    if (len > 64n * 1024n * 1024n) return undefined;
    const offset = toOffset(ptr, len);
    return offset === undefined ? undefined : bin.subarray(offset, offset + Number(len));
  };
  const entryAt = (at: number): Entry | undefined => {
    const name = readString(at);
    if (
      !name ||
      name.length === 0 ||
      name.length > 512 ||
      !/^[\w@.+\-/ ~[\]()$]+$/.test(name.toString("latin1"))
    ) {
      return undefined;
    }
    const data = readString(at + 16);
    return data && { name: name.toString("utf8"), data };
  };

  // The name "package.json" as it sits in the binary, then each 16-byte string header pointing at it.
  const wanted = Buffer.from("package.json");
  const nameAddresses = new Set<bigint>();
  for (let i = bin.indexOf(wanted); i !== -1; i = bin.indexOf(wanted, i + 1)) {
    for (const s of segments) {
      const off = BigInt(i);
      if (off >= s.offset && off < s.offset + s.size) nameAddresses.add(off - s.offset + s.vaddr);
    }
  }
  const header = Buffer.alloc(16);
  header.writeBigUInt64LE(BigInt(wanted.length), 8);
  for (const address of nameAddresses) {
    header.writeBigUInt64LE(address, 0);
    for (let at = bin.indexOf(header); at !== -1; at = bin.indexOf(header, at + 1)) {
      if (at % 8 !== 0) continue;
      const entry = entryAt(at);
      if (!entry?.data.toString("utf8").includes('"name": "@sst/platform"')) continue;
      let first = at;
      while (entryAt(first - 48)) first -= 48;
      const entries: Entry[] = [];
      for (let cursor = first; ; cursor += 48) {
        const e = entryAt(cursor);
        if (!e) break;
        entries.push(e);
      }
      return entries;
    }
  }
  throw new Error(
    "SST's platform was not found in the binary (no embed.FS entry for @sst/platform's package.json)",
  );
}

/**
 * Extracts the platform into `.sst/platform` (a real directory: Node resolves the platform's
 * imports, `@pulumi/*` included, from the repository's node_modules by walking up from it) and
 * writes the `config.d.ts` that `sst install` writes for an app whose only provider is `aws`.
 * Idempotent: the `version` file (as SST writes it) says which binary the directory came from.
 */
export function ensurePlatform(): string {
  const version = sstVersion();
  const versionFile = join(platformDir, "version");
  if (existsSync(versionFile) && readFileSync(versionFile, "utf8") === version) return platformDir;

  const entries = readEmbeddedPlatform(readFileSync(binaryPath()));
  const staging = `${platformDir}.${process.pid}`;
  rmSync(staging, { recursive: true, force: true });
  for (const { name, data } of entries) {
    const to = join(staging, name);
    if (name.endsWith("/")) {
      mkdirSync(to, { recursive: true });
      continue;
    }
    mkdirSync(dirname(to), { recursive: true });
    writeFileSync(to, data);
  }
  // pkg/project/install.go writeTypes(), for `providers: { aws }` (alias `aws`, package `@pulumi/aws`).
  writeFileSync(
    join(staging, "config.d.ts"),
    [
      `import "./src/global.d.ts"`,
      `import "../types.generated"`,
      `import { AppInput, App, Config } from "./src/config"`,
      `import * as _aws from "@pulumi/aws";`,
      "",
      "",
      "declare global {",
      "  // @ts-expect-error",
      "  export import aws = _aws",
      "  interface Providers {",
      "    providers?: {",
      `      "aws"?:  (_aws.ProviderArgs & { package?: string, version?: string }) | string;`,
      "    }",
      "  }",
      "  export const $config: (",
      `    input: Omit<Config, "app"> & {`,
      `      app(input: AppInput): Promise<Omit<App, "providers"> & Providers> | (Omit<App, "providers"> & Providers);`,
      "    },",
      "  ) => Config;",
      "}",
      "",
    ].join("\n"),
  );
  // `sst install` also writes .sst/types.generated.ts (the app's linked resources); this app links none.
  writeFileSync(join(staging, "..", "types.generated.ts"), "export {};\n");
  writeFileSync(join(staging, "version"), version);
  rmSync(platformDir, { recursive: true, force: true });
  try {
    renameSync(staging, platformDir);
  } catch (error) {
    // Another process extracted the same platform meanwhile.
    rmSync(staging, { recursive: true, force: true });
    if (!existsSync(versionFile) || readFileSync(versionFile, "utf8") !== version) throw error;
  }
  return platformDir;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  console.log(ensurePlatform());
}
