import { listScenarios, playScenario } from "../scenarios.ts";
import { colour, configFrom, printJson, say, UsageError } from "./kit.ts";
import type { VerbInput } from "./table.ts";

/** `switchyard scenario --list | NAME` and `switchyard showcase`. */
export async function run(input: VerbInput): Promise<number> {
  return input.verb === "showcase" ? showcase(input) : scenario(input);
}

const verdict = (passed: boolean, failures: readonly string[]) =>
  passed ? colour.green("✓ as expected") : colour.red(`✗ ${failures.join("; ")}`);

async function showcase({ flags }: VerbInput): Promise<number> {
  const config = await configFrom(flags);
  let failed = 0;
  for (const name of ["canary-rollback", "clean-canary"]) {
    const summary = listScenarios().find((s) => s.name === name)?.summary ?? "";
    say(`\n== ${name}: ${summary}\n`);
    const result = await playScenario(name, config, { live: say, verbose: flags.verbose === true });
    say(`\n   alias: ${JSON.stringify(result.aliases)}`);
    say(`   ${verdict(result.passed, result.failures)}`);
    if (!result.passed) failed++;
  }
  return failed === 0 ? 0 : 1;
}

async function scenario({ args, flags }: VerbInput): Promise<number> {
  const scenarios = listScenarios();
  if (flags.list) {
    if (flags.json) printJson(scenarios);
    else for (const s of scenarios) say(`${s.name.padEnd(24)} ${s.summary}`);
    return 0;
  }
  const [name] = args;
  if (!name) throw new UsageError("scenario needs a NAME; run `switchyard scenario --list` to see them");
  if (!scenarios.some((s) => s.name === name)) {
    const { closest } = await import("@switchyard/core/config/suggest");
    const near = closest(
      name,
      scenarios.map((s) => s.name),
    );
    throw new UsageError(
      `unknown scenario "${name}"; ${near ? `did you mean "${near}"?` : "run `switchyard scenario --list` to see them"}`,
    );
  }
  const config = await configFrom(flags);
  const result = await playScenario(name, config, {
    verbose: flags.verbose === true,
    ...(flags.json ? {} : { live: say }),
  });
  if (flags.json) {
    const { timeline: _lines, entries, ...rest } = result;
    printJson({ ...rest, timeline: entries });
  } else say(`\n${verdict(result.passed, result.failures)}`);
  return result.passed ? 0 : 1;
}
