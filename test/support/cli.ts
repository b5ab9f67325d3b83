import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

/** The repository's root directory. */
export const root = fileURLToPath(new URL("../..", import.meta.url));

/** A path under the repository's root, for the command's arguments. */
export const inRepo = (path: string): string => join(root, path);

export interface CommandResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs the real `switchyard` command (the bin the package declares) on this Node, quiet and
 * against the simulated account: no logs, no metrics, no state table from the environment.
 */
export function switchyard(...args: string[]): CommandResult {
  const out = spawnSync(process.execPath, [inRepo("packages/cli/bin/switchyard.js"), ...args], {
    cwd: root,
    encoding: "utf8",
    env: {
      ...process.env,
      POWERTOOLS_LOG_LEVEL: "SILENT",
      POWERTOOLS_METRICS_DISABLED: "true",
      SWITCHYARD_TABLE: "",
    },
    timeout: 120_000,
  });
  return { code: out.status, stdout: out.stdout, stderr: out.stderr };
}

/**
 * Writes a new file `name` in a fresh temporary folder, for the command to read: `content` as
 * is when it is text, else as JSON. Returns its path.
 */
export function tempFile(name: string, content: unknown, prefix = "switchyard-"): string {
  const file = join(mkdtempSync(join(tmpdir(), prefix)), name);
  writeFileSync(file, typeof content === "string" ? content : JSON.stringify(content));
  return file;
}

/**
 * A successful ECR push (a rule matches it) that lacks the repository and the digest: the
 * control plane rejects it, not ignores it.
 */
export const PUSH_WITHOUT_IMAGE = {
  id: "x-1",
  source: "aws.ecr",
  "detail-type": "ECR Image Action",
  detail: { "action-type": "PUSH", result: "SUCCESS" },
};
