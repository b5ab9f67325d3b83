import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { closest } from "@switchyard/core/config/suggest";
import { colour, Failure, UsageError, type VerbFlags } from "./commands/kit.ts";
import { GLOBAL_OPTIONS, type Options, VERBS, type Verb, verbNamed } from "./commands/table.ts";

/**
 * `switchyard`: finds the verb in the table (commands/table.ts), parses its options, and runs
 * it. Exit codes: 0 ok, 1 operational failure, 2 usage error. Data goes to stdout, everything
 * else to stderr; a reader that closes the pipe early (`| head`) ends the command quietly.
 * Verbs' modules are imported only to run them, so help answers at once.
 */

const NAME = "switchyard";

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as {
    version: string;
  };
  return `${NAME} ${pkg.version} (node ${process.versions.node})`;
}

function overview(): string {
  const width = Math.max(...VERBS.map((v) => v.name.length)) + 2;
  return [
    `${NAME} — event-driven control plane for AWS (local mode runs on a simulated account)`,
    "",
    colour.bold("Usage:"),
    `  ${NAME} VERB [options] [arguments]`,
    "",
    colour.bold("Verbs:"),
    ...VERBS.map((v) => `  ${v.name.padEnd(width)}${v.summary}`),
    `  ${"help".padEnd(width)}help for one verb: ${NAME} help VERB (or ${NAME} VERB --help)`,
    "",
    colour.bold("Live local control plane (switchyard dev):"),
    ...Object.entries(DEV_SUMMARIES).map(([name, summary]) => `  ${name.padEnd(width)}${summary}`),
    "  While dev runs, status, history, pause, resume, rollback, promote, approve, deny and failover act on it.",
    "",
    colour.bold("Options for every verb:"),
    ...optionLines(GLOBAL_OPTIONS),
    `  ${"--version".padEnd(18)}print the version`,
    "",
    "Exit codes: 0 ok, 1 the operation failed, 2 the command was used wrongly.",
    "Data (--json) goes to stdout, logs and errors to stderr. NO_COLOR turns colour off.",
    "Guides: docs/operating.md (on call), docs/deploying.md, docs/extending.md.",
    "",
  ].join("\n");
}

function optionLines(options: Options): string[] {
  return Object.entries(options).map(([name, o]) => {
    const flag = `${o.short ? `-${o.short}, ` : ""}--${name}${o.arg ? ` ${o.arg}` : ""}`;
    return `  ${flag.padEnd(18)}${flag.length >= 18 ? `\n  ${"".padEnd(18)}` : ""}${o.help}`;
  });
}

function verbHelp(verb: Verb): string {
  return [
    `${NAME} ${verb.name} — ${verb.summary}`,
    "",
    colour.bold("Usage:"),
    ...verb.usage.map((u) => `  ${NAME} ${u}`),
    ...(verb.details ? ["", verb.details] : []),
    "",
    colour.bold("Options:"),
    ...optionLines({ ...verb.options, ...GLOBAL_OPTIONS }),
    ...(verb.examples?.length
      ? ["", colour.bold("Examples:"), ...verb.examples.map((e) => `  ${NAME} ${e}`)]
      : []),
    "",
  ].join("\n");
}

function unknownVerb(word: string): UsageError {
  const near = closest(word, [...VERBS.map((v) => v.name), "help"]);
  return new UsageError(
    `unknown verb "${word}"; ${near ? `did you mean "${near}"?` : `run \`${NAME} --help\` to see the verbs`}`,
  );
}

/** Refuses options the verb does not take, naming the one meant, before parseArgs words it its way. */
function checkOptions(verb: Verb, options: Options, args: readonly string[]): void {
  const end = args.indexOf("--");
  for (const token of end === -1 ? args : args.slice(0, end)) {
    if (token.startsWith("--") && token.length > 2) {
      const name = token.slice(2).split("=")[0] ?? "";
      if (name in options) continue;
      const near = closest(name, Object.keys(options));
      const elsewhere = VERBS.filter((v) => name in v.options).map((v) => v.name);
      const hint = near
        ? `did you mean --${near}?`
        : elsewhere.length > 0
          ? `it belongs to ${elsewhere.join(", ")}`
          : `see \`${NAME} help ${verb.name}\``;
      throw new UsageError(`${verb.name} has no option --${name}; ${hint}`);
    }
    if (/^-[^-]/.test(token)) {
      const shorts = Object.values(options).flatMap((o) => (o.short ? [o.short] : []));
      for (const ch of token.slice(1))
        if (!shorts.includes(ch))
          throw new UsageError(`${verb.name} has no option -${ch}; see \`${NAME} help ${verb.name}\``);
    }
  }
}

/** The live control plane's verbs (packages/cli/src/dev/verbs.ts), loaded only when named. */
const DEV_SUMMARIES: Record<string, string> = {
  dev: "run the control plane on the simulated account until stopped, with the dashboard on 127.0.0.1",
  ui: "print the running dashboard's address, or start dev (the dashboard is part of it)",
  send: "send event files to the running dev (files dropped in .switchyard/inbox/ are sent too)",
  advance: "move the running dev's virtual time forward (e.g. 5m, 1h30m)",
};
/**
 * Verbs that act on a running `switchyard dev` when one runs here (its .switchyard/dev.json); without
 * one, dev/verbs.ts says so, or hands them back (--aws, --dry-run, a local failover) to the table.
 */
const DEV_OPERATIONS = new Set([
  "status",
  "history",
  "pause",
  "resume",
  "rollback",
  "promote",
  "approve",
  "deny",
  "failover",
  "deploy",
  "retry",
  "abort",
]);

async function main(argv: readonly string[]): Promise<number> {
  const [first, ...rest] = argv;
  if (first === undefined) {
    process.stderr.write(overview());
    return 2;
  }
  if (first === "--version" || first === "-V") {
    process.stdout.write(`${version()}\n`);
    return 0;
  }
  if (first === "--help" || first === "-h") {
    process.stdout.write(overview());
    return 0;
  }
  if (first === "help") {
    const [name] = rest;
    if (name === undefined || name === "help") process.stdout.write(overview());
    else process.stdout.write(verbHelp(verbNamed(name) ?? throwing(unknownVerb(name))));
    return 0;
  }
  if (first in DEV_SUMMARIES || DEV_OPERATIONS.has(first)) {
    const { routeDev } = await import("./dev/verbs.ts");
    const routed = await routeDev(argv);
    if (routed !== undefined) return routed;
  }
  if (first.startsWith("-"))
    throw new UsageError(`put the verb first: ${NAME} VERB [options]; run \`${NAME} --help\` for the verbs`);
  const verb = verbNamed(first) ?? throwing(unknownVerb(first));
  const options = { ...verb.options, ...GLOBAL_OPTIONS };
  const beforeDashes = rest.indexOf("--") === -1 ? rest : rest.slice(0, rest.indexOf("--"));
  if (beforeDashes.includes("--help") || beforeDashes.includes("-h")) {
    process.stdout.write(verbHelp(verb));
    return 0;
  }
  checkOptions(verb, options, rest);
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({
      args: [...rest],
      options: Object.fromEntries(
        Object.entries(options).map(([name, o]) => [
          name,
          { type: o.type, ...(o.short ? { short: o.short } : {}) },
        ]),
      ),
      allowPositionals: true,
      strict: true,
    });
  } catch (error) {
    // A string option given no value, or a value given to a boolean one.
    throw new UsageError(`${(error as Error).message.split(". ")[0]}; see \`${NAME} help ${verb.name}\``);
  }
  const args = parsed.positionals;
  if (verb.actions && !verb.actions.includes(args[0] ?? "")) {
    const near = args[0] ? closest(args[0], verb.actions) : undefined;
    throw new UsageError(
      `${verb.name} needs an action first: ${verb.actions.join(", ")}` +
        (args[0] ? ` (got "${args[0]}"${near ? `; did you mean "${near}"?` : ""})` : ""),
    );
  }
  const module = await verb.load();
  return module.run({ verb: verb.name, args, flags: parsed.values as VerbFlags });
}

function throwing(error: Error): never {
  throw error;
}

/** The exit code and the one line for an error that reached the top. */
async function report(error: unknown, verbose: boolean): Promise<number> {
  const prefix = colour.red(`${NAME}:`, process.stderr);
  const name = (error as Error | undefined)?.name;
  const message = error instanceof Error ? error.message : String(error);
  if (error instanceof UsageError || name === "ConfigError") {
    process.stderr.write(`${prefix} ${message}\n`);
    return 2;
  }
  if (error instanceof Failure) {
    process.stderr.write(`${prefix} ${message}\n`);
    return 1;
  }
  const { explainAwsError } = await import("./commands/aws-errors.ts");
  const explained = explainAwsError(error);
  if (explained) {
    process.stderr.write(`${prefix} ${explained}\n`);
    return 1;
  }
  process.stderr.write(
    verbose
      ? `${prefix} unexpected error: ${(error as Error).stack ?? message}\n`
      : `${prefix} unexpected error: ${message} (run again with --verbose for the stack trace)\n`,
  );
  return 1;
}

// A reader that stops reading (`switchyard … | head`) is not a failure of the command.
for (const stream of [process.stdout, process.stderr]) {
  stream.on("error", (error: NodeJS.ErrnoException) => {
    if (error.code === "EPIPE") process.exit(0);
    throw error;
  });
}

const argv = process.argv.slice(2);
main(argv).then(
  (code) => {
    process.exitCode = code;
  },
  async (error: unknown) => {
    process.exitCode = await report(error, argv.includes("--verbose"));
  },
);
