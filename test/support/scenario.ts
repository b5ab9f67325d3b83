import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { type Config, parseConfig } from "../../packages/core/src/config/index.ts";
import exampleConfig from "../../switchyard.config.ts";

/** The example config `npm start` runs, validated. */
export function example(overrides: (raw: typeof exampleConfig) => unknown = (raw) => raw): Config {
  return parseConfig(overrides(structuredClone(exampleConfig)));
}

/** A fixture's JSON, by path under test/fixtures. */
export function fixture<T = unknown>(path: string): T {
  return JSON.parse(
    readFileSync(fileURLToPath(new URL(`../fixtures/${path}`, import.meta.url)), "utf8"),
  ) as T;
}

/** A fixture event with some fields replaced (a new id for a second delivery, another state...). */
export function variant<T extends Record<string, unknown>>(path: string, change: (event: T) => void): T {
  const event = fixture<T>(path);
  change(event);
  return event;
}
