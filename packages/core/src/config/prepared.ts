import { createHash } from "node:crypto";
import { configIndex } from "./lookup.ts";
import type { Config } from "./schema.ts";

/**
 * The config as the stack bundles it for the functions: already validated (the plan parsed it
 * with `parseConfig`), so a function reads it with `JSON.parse` alone and never builds the zod
 * config schema, at import or on its first invocation (ADR 0033). Nothing here imports zod.
 *
 * The file carries the parsed config (the schema's output: defaults filled in, durations in
 * seconds), its format, and the SHA-256 of the config's JSON text. The stack writes the file and
 * the function's bundle in one deploy, so they cannot come from different Switchyard versions;
 * the digest is for the one thing that can still happen, a hand edit after the deploy (the Lambda
 * console's code editor), which would otherwise skip validation.
 */
export const PREPARED_CONFIG_FORMAT = "switchyard.prepared-config/1";

const FORMAT_FAMILY = "switchyard.prepared-config/";

/** How to write a prepared config by hand, for running a function outside the stack. */
export const PREPARE_COMMAND =
  "`npx switchyard validate --config switchyard.config.ts --prepare switchyard.config.json`";

function sha256(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}

/** The JSON text of the file the stack bundles for a config `parseConfig` has accepted. */
export function prepareConfig(config: Config): string {
  const text = JSON.stringify(config);
  return `{"format":${JSON.stringify(PREPARED_CONFIG_FORMAT)},"sha256":"${sha256(text)}","config":${text}}`;
}

/** Whether `raw` (a config file's parsed JSON) is a prepared config rather than a config as written. */
export function isPreparedConfig(raw: unknown): raw is { format: string } {
  if (typeof raw !== "object" || raw === null) return false;
  const format = (raw as { format?: unknown }).format;
  return typeof format === "string" && format.startsWith(FORMAT_FAMILY);
}

/**
 * The config of a prepared file, with its lookup index built (as `parseConfig` builds it). Throws,
 * naming `source` and the fix, when the file is of another format or was changed after the stack
 * wrote it.
 */
export function readPreparedConfig(raw: { format: string }, source: string): Config {
  const file = raw as { format: string; sha256?: unknown; config?: unknown };
  const redeploy = "deploy again with the stack, which writes it";
  if (file.format !== PREPARED_CONFIG_FORMAT) {
    throw new Error(
      `${source} is a prepared config of format "${file.format}", but this function reads "${PREPARED_CONFIG_FORMAT}": ` +
        `the file and the function come from different Switchyard versions; ${redeploy}`,
    );
  }
  if (typeof file.config !== "object" || file.config === null || typeof file.sha256 !== "string") {
    throw new Error(`${source} is a prepared config without its "config" object or "sha256": ${redeploy}`);
  }
  if (sha256(JSON.stringify(file.config)) !== file.sha256) {
    throw new Error(
      `${source} was changed after the stack prepared it (its config no longer matches its sha256), so it was never validated: ` +
        "change switchyard.config.ts and deploy again; to run a function by hand with another config, " +
        `write it with ${PREPARE_COMMAND}`,
    );
  }
  const config = file.config as Config;
  configIndex(config);
  return config;
}
