import { readFile } from "node:fs/promises";
import { resolve } from "node:path";
import type { Config } from "@switchyard/core/config/index";

/**
 * What every verb shares: the two errors that set the exit code, output (data on stdout, logs on
 * stderr, colour only on a terminal), durations as h:mm:ss, and reading configs and event files.
 */

/** Something the user can fix in how they called the command: one line, exit 2. */
export class UsageError extends Error {
  override name = "UsageError";
}

/** The command ran but the operation failed (AWS refused, a target was missed): one line, exit 1. */
export class Failure extends Error {
  override name = "Failure";
}

/** Colour on a terminal, unless NO_COLOR is set (https://no-color.org); FORCE_COLOR forces it. */
export function useColour(stream: NodeJS.WriteStream = process.stdout): boolean {
  if (process.env.NO_COLOR) return false;
  const force = process.env.FORCE_COLOR;
  if (force !== undefined && force !== "") return force !== "0" && force !== "false";
  return stream.isTTY === true;
}

const paint =
  (code: number) =>
  (text: string, stream: NodeJS.WriteStream = process.stdout): string =>
    useColour(stream) ? `\u001b[${code}m${text}\u001b[0m` : text;

export const colour = { red: paint(31), green: paint(32), yellow: paint(33), dim: paint(2), bold: paint(1) };

/** A line of human output on stdout. */
export function say(line: string): void {
  process.stdout.write(`${line}\n`);
}

/** Data as one JSON document on stdout. */
export function printJson(data: unknown): void {
  process.stdout.write(`${JSON.stringify(data, null, 2)}\n`);
}

/** A log line (progress, warnings) on stderr, never mixed into data. */
export function log(line: string): void {
  process.stderr.write(`${line}\n`);
}

export const str = (value: unknown): string | undefined => (typeof value === "string" ? value : undefined);

/** The config named by --config, or ./switchyard.config.ts. */
export async function configFrom(flags: VerbFlags): Promise<Config> {
  const { loadConfig } = await import("@switchyard/core/config/index");
  return loadConfig(resolve(str(flags.config) ?? "switchyard.config.ts"));
}

export type VerbFlags = Readonly<Record<string, string | boolean | undefined>>;

/** Who is acting, for the audit log. */
export const actor = (flags: VerbFlags): string => str(flags.by) ?? process.env.USER ?? "operator";

/** The JSON values of event files (one value, or an array of them, per file), in order. */
export async function readEvents(
  files: readonly string[],
  what = "an EventBridge event",
): Promise<unknown[]> {
  if (files.length === 0)
    throw new UsageError(`needs at least one FILE holding ${what} or a JSON array of them`);
  const events: unknown[] = [];
  for (const file of files) {
    let text: string;
    try {
      text = await readFile(file, "utf8");
    } catch (error) {
      throw new UsageError(
        `${file}: cannot be read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`,
      );
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (error) {
      throw new UsageError(`${file}: not JSON (${(error as Error).message})`);
    }
    events.push(...(Array.isArray(parsed) ? parsed : [parsed]));
  }
  return events;
}
