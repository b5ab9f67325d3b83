import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { type Config, parseConfig } from "../../packages/core/src/config/index.ts";
import { type BusEvent, BusEventEnvelope } from "../../packages/core/src/events/envelope.ts";
import exampleConfig from "../../switchyard.config.ts";

export type { BusEvent };

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

/** Any event's detail, for a test to change in place. */
export type Detail = Record<string, unknown>;

/**
 * An EventBridge event from a fixture under test/fixtures, checked to carry the envelope
 * (id, source, detail-type, detail), with `change` applied: a new id for a second delivery,
 * another digest... The detail's shape is the caller's to name.
 */
export function busEvent<D = Detail>(
  path: string,
  change: (event: BusEvent<D>) => void = () => undefined,
): BusEvent<NoInfer<D>> {
  const json = fixture(path);
  const checked = BusEventEnvelope.safeParse(json);
  if (!checked.success)
    throw new Error(`fixture ${path} is not an EventBridge event: ${checked.error.issues[0]?.message}`);
  const event = json as BusEvent<D>;
  change(event);
  return event;
}

/** The value, or a failed test naming what was missing (instead of a made-up stand-in). */
export function present<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new Error(`${what} is missing`);
  return value;
}
