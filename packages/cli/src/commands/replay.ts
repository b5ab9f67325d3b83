import { replay } from "../replay.ts";
import { configFrom, printJson, readEvents, say } from "./kit.ts";
import type { VerbInput } from "./table.ts";

/** `switchyard replay FILE...`: exit 1 with --strict when any event was rejected. */
export async function run({ args, flags }: VerbInput): Promise<number> {
  const config = await configFrom(flags);
  const events = await readEvents(args);
  const report = await replay(config, events);
  const rejected = report.events.filter((e) => e.status === "rejected").length;
  if (flags.json) printJson(report);
  else {
    for (const e of report.events) {
      say(`${e.status.padEnd(8)} ${e.source} ${e.detailType} ${e.id}${e.reason ? ` — ${e.reason}` : ""}`);
      for (const r of e.reactions)
        say(
          `         ${r.reaction}: ${r.outcome}${r.execution ? ` (${r.execution.split(":").at(-1)})` : ""} ${r.reason}`,
        );
    }
    say(`aliases: ${JSON.stringify(report.aliases)}`);
  }
  if (flags.strict && rejected > 0) {
    process.stderr.write(`switchyard: ${rejected} event(s) rejected (--strict)\n`);
    return 1;
  }
  return 0;
}
