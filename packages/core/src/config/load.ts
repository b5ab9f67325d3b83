import { readFile, stat } from "node:fs/promises";
import { extname, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { ConfigError, parseConfig } from "./parse.ts";
import type { Config } from "./schema.ts";

/** Where V8 stopped, as "line L column C", for JSON.parse messages that give only a position or none. */
function jsonPosition(text: string, message: string): string {
  if (/\(line \d+ column \d+\)/.test(message)) return "";
  const at = /at position (\d+)/.exec(message);
  const offset = at ? Number(at[1]) : /end of JSON input/.test(message) ? text.length : undefined;
  if (offset === undefined) return "";
  const before = text.slice(0, offset).split("\n");
  return ` (line ${before.length} column ${(before.at(-1)?.length ?? 0) + 1})`;
}

async function readJson(file: string, shown: string): Promise<unknown> {
  const text = await readFile(file, "utf8");
  try {
    return JSON.parse(text);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw new ConfigError(shown, [`not valid JSON: ${message}${jsonPosition(text, message)}`], {
      cause: error,
    });
  }
}

async function importDefault(file: string, shown: string): Promise<unknown> {
  let module: Record<string, unknown>;
  try {
    module = await import(pathToFileURL(file).href);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw new ConfigError(shown, [`could not be loaded: ${message}`], { cause: error });
  }
  if (module.default === undefined) {
    throw new ConfigError(shown, [
      "has no default export; end the file with `export default defineConfig({ ... })`",
    ]);
  }
  return module.default;
}

const READERS: Record<string, (file: string, shown: string) => Promise<unknown>> = {
  ".json": readJson,
  ".ts": importDefault,
  ".mts": importDefault,
  ".js": importDefault,
  ".mjs": importDefault,
};

/** Loads and validates `switchyard.config.ts` (default export) or a `.json` file of the same shape. */
export async function loadConfig(path: string): Promise<Config> {
  const extension = extname(path);
  const read = READERS[extension];
  if (read === undefined) {
    throw new ConfigError(path, [
      `unsupported file type "${extension}"; use a ${Object.keys(READERS).join(", ")} file`,
    ]);
  }
  const file = resolve(path);
  const found = await stat(file).catch((error: NodeJS.ErrnoException) => {
    const problem = error.code === "ENOENT" ? `file not found (looked for ${file})` : error.message;
    throw new ConfigError(path, [`${problem}; check the --config path`], { cause: error });
  });
  if (!found.isFile()) throw new ConfigError(path, [`${file} is not a file; pass the config file itself`]);
  return parseConfig(await read(file, path), path);
}
