import type { VerbInput } from "./table.ts";

/** `switchyard bench`: the report; with --check, exit 1 naming each missed target on stderr. */
export async function run({ flags }: VerbInput): Promise<number> {
  const { runBench } = await import("../bench.ts");
  return runBench({ json: flags.json === true, quick: flags.quick === true, check: flags.check === true });
}
