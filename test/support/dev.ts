import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type CommandResult, inRepo } from "./cli.ts";

const BIN = inRepo("packages/cli/bin/switchyard.js");
const ENV = {
  ...process.env,
  POWERTOOLS_LOG_LEVEL: "SILENT",
  POWERTOOLS_METRICS_DISABLED: "true",
  SWITCHYARD_TABLE: "",
  NO_COLOR: "1",
};

/** A `switchyard dev` running as its own process in a folder of its own (its `.switchyard/` state). */
export interface RunningDev {
  readonly cwd: string;
  readonly url: string;
  /** What it printed on stdout so far (its timeline). */
  output(): string;
  /** Runs another `switchyard` command in the same folder, so it finds this dev. */
  cli(...args: string[]): Promise<CommandResult>;
  /** Calls the API: GET without a body, POST (JSON) with one. */
  api<T = unknown>(path: string, body?: unknown): Promise<{ status: number; body: T }>;
  /** SIGTERM, then its exit code once it exited. */
  stop(): Promise<number | null>;
}

/**
 * Starts `switchyard dev --port 0` in `cwd` (a fresh temporary folder unless given: pass the
 * same one to restart on the state a stopped dev left) and waits until it answers.
 */
export async function startDev(
  args: string[],
  options: { cwd?: string; timeoutMs?: number } = {},
): Promise<RunningDev> {
  const cwd = options.cwd ?? mkdtempSync(join(tmpdir(), "switchyard-dev-"));
  const child: ChildProcess = spawn(process.execPath, [BIN, "dev", "--port", "0", ...args], {
    cwd,
    env: ENV,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout?.on("data", (chunk: Buffer) => {
    stdout += chunk.toString("utf8");
  });
  child.stderr?.on("data", (chunk: Buffer) => {
    stderr += chunk.toString("utf8");
  });
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  const started = Date.now();
  const file = join(cwd, ".switchyard", "dev.json");
  let url = "";
  while (!url) {
    if (child.exitCode !== null)
      throw new Error(`switchyard dev exited ${child.exitCode}: ${stderr}${stdout}`);
    if (Date.now() - started > (options.timeoutMs ?? 90_000)) {
      child.kill("SIGKILL");
      throw new Error(`switchyard dev did not start: ${stderr}${stdout}`);
    }
    if (existsSync(file) && stdout.includes("dashboard and API on"))
      url = (JSON.parse(readFileSync(file, "utf8")) as { url: string }).url;
    else await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return {
    cwd,
    url,
    output: () => stdout,
    cli: (...cliArgs) => switchyardIn(cwd, ...cliArgs),
    async api<T>(path: string, body?: unknown) {
      const res = await fetch(new URL(path, url), {
        ...(body === undefined
          ? {}
          : { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) }),
      });
      return { status: res.status, body: (await res.json()) as T };
    },
    async stop() {
      if (child.exitCode === null) child.kill("SIGTERM");
      return exited;
    },
  };
}

/**
 * Runs `switchyard` in `cwd` (where it looks for a running dev). Not spawnSync: this process
 * must keep reading a dev's output while the command runs.
 */
export function switchyardIn(cwd: string, ...args: string[]): Promise<CommandResult> {
  return new Promise((resolve, reject) => {
    const run = spawn(process.execPath, [BIN, ...args], { cwd, env: ENV, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    run.stdout.on("data", (chunk: Buffer) => {
      stdout += chunk.toString("utf8");
    });
    run.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk.toString("utf8");
    });
    run.once("error", reject);
    run.once("close", (code) => resolve({ code, stdout, stderr }));
  });
}

/** Waits until `check` returns a value (not undefined), polling; fails with `what` after `ms`. */
export async function eventually<T>(
  what: string,
  check: () => Promise<T | undefined> | T | undefined,
  ms = 30_000,
): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/**
 * `switchyard status DEPLOYMENT --watch` in a running dev's folder, piped (one line per change):
 * the lines it printed so far, and `stop` (SIGINT, as Ctrl-C).
 */
export function watchStatus(dev: RunningDev, deployment: string): { lines: string[]; stop(): void } {
  const lines: string[] = [];
  const watch = spawn(process.execPath, [BIN, "status", deployment, "--watch"], {
    cwd: dev.cwd,
    stdio: ["ignore", "pipe", "pipe"],
  });
  watch.stdout?.on("data", (chunk: Buffer) =>
    lines.push(...chunk.toString("utf8").split("\n").filter(Boolean)),
  );
  return { lines, stop: () => watch.kill("SIGINT") };
}
