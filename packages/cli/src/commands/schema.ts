import { ConfigSchema } from "@switchyard/core/config/schema";
import * as z from "zod";
import { printJson } from "./kit.ts";
import type { VerbInput } from "./table.ts";

// biome-ignore lint/suspicious/noExplicitAny: a walk through generated JSON Schema, whatever its shape
type JsonObject = Record<string, any>;

/**
 * The JSON Schema of a JSON config, generated from the zod schema config validation uses, so
 * an editor checks the file as `switchyard validate` would (patterns, enums, unknown fields).
 * Shipped as switchyard.schema.json; test/cli-schema.test.ts keeps it up to date.
 */
export function configJsonSchema(): Record<string, unknown> {
  // As written (`io: "input"`): defaults optional, durations as the strings people type.
  const generated = z.toJSONSchema(ConfigSchema, { io: "input", unrepresentable: "any" });
  const database = (generated.properties?.failover as JsonObject | undefined)?.properties?.runbooks?.items
    ?.properties?.database as JsonObject | undefined;
  // The config fills `kind: "read-replica"` in before the union (a zod preprocess JSON Schema
  // cannot express): in the file, a read replica's `kind` is optional.
  for (const branch of database?.oneOf ?? []) {
    if (branch.properties?.kind?.const === "read-replica")
      branch.required = (branch.required ?? []).filter((key: string) => key !== "kind");
  }
  return {
    ...generated,
    title: "Switchyard configuration",
    description:
      'The JSON form of switchyard.config.ts. Start a file with { "$schema": "./switchyard.schema.json" }; check it with `switchyard validate --config FILE`.',
  };
}

/** `switchyard schema`: the config's JSON Schema on stdout. */
export async function run(_input: VerbInput): Promise<number> {
  printJson(configJsonSchema());
  return 0;
}
