import { ConfigError, parseConfig } from "./parse.ts";

/**
 * The issue lines `parseConfig` rejects `raw` with; throws when it accepts it. For the tests of
 * the config's messages (and anything else that expects a rejection).
 */
export function issuesOf(raw: unknown): string[] {
  try {
    parseConfig(raw);
  } catch (error) {
    if (error instanceof ConfigError) return error.issues;
    throw error;
  }
  throw new Error("expected the config to be rejected, but it was accepted");
}
