import { replay, replayJsonLines, replaySummary, summaryText } from "../replay.ts";
import { configFrom, printJson, readEvents, say, UsageError } from "./kit.ts";
import type { VerbInput } from "./table.ts";

/**
 * `switchyard replay FILE...`, or `--from EVENTS.jsonl` streamed with a progress bar; `--summary`
 * prints counts only. Exit 1 with --strict when any event was rejected.
 */
export async function run({ args, flags }: VerbInput): Promise<number> {
  const config = await configFrom(flags);
  const strict = (rejected: number) => {
    if (!flags.strict || rejected === 0) return 0;
    process.stderr.write(`switchyard: ${rejected} event(s) rejected (--strict)\n`);
    return 1;
  };
  if (typeof flags.from === "string") {
    if (args.length > 0) throw new UsageError("replay --from EVENTS.jsonl takes no FILE besides");
    let rejected = 0;
    await replayJsonLines(config, flags.from, {
      json: flags.json === true,
      onSummary: (s) => {
        rejected = s.statuses.rejected;
      },
    });
    return strict(rejected);
  }
  const events = await readEvents(args);
  if (flags.summary) {
    const summary = await replaySummary(
      config,
      events.map((value) => ({ value })),
    );
    if (flags.json) printJson(summary);
    else process.stdout.write(summaryText(summary));
    return strict(summary.statuses.rejected);
  }
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
  return strict(rejected);
}
