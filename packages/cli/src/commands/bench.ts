import type { BenchReport } from "../bench.ts";
import type { VerbInput } from "./table.ts";

/** `switchyard bench`: the report; with --check, exit 1 when a target was missed. */
export async function run({ flags }: VerbInput): Promise<number> {
  const { runBench } = await import("../bench.ts");
  let missed: string[] = [];
  const code = await runBench({
    json: flags.json === true,
    quick: flags.quick === true,
    onReport: (report: BenchReport) => {
      missed = missedTargets(report);
    },
  });
  if (code !== 0) return code;
  if (flags.check && missed.length > 0) {
    process.stderr.write(`switchyard: bench missed ${missed.length} target(s): ${missed.join(", ")}\n`);
    return 1;
  }
  return 0;
}

/** The parts of the report whose target this run did not meet. */
export function missedTargets(report: BenchReport): string[] {
  return Object.entries(report).flatMap(([part, value]) =>
    value && typeof value === "object" && (value as { met?: unknown }).met === false ? [part] : [],
  );
}
