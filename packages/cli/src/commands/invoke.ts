import { invokeFunction } from "../invoke.ts";
import { configFrom, printJson, readEvents, UsageError } from "./kit.ts";
import type { VerbInput } from "./table.ts";

/** `switchyard invoke FUNCTION FILE`: the function's result as JSON, or its error on stderr and exit 1. */
export async function run({ args, flags }: VerbInput): Promise<number> {
  const [fn, file] = args;
  if (!fn || !file)
    throw new UsageError("invoke needs FUNCTION and FILE, e.g. switchyard invoke rollback alarm.json");
  const config = await configFrom(flags);
  const [payload] = await readEvents([file], "a payload");
  const out = await invokeFunction(config, fn, payload);
  if (out.error) {
    process.stderr.write(`${out.error.errorType}: ${out.error.errorMessage}\n`);
    return 1;
  }
  printJson(out.result);
  return 0;
}
