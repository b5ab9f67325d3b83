import { readFile } from "node:fs/promises";
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { type Config, ConfigError, loadConfig } from "@switchyard/core/config/index";
import { ENV } from "@switchyard/core/context";
import { secretStatuses } from "@switchyard/core/secrets/stuck";
import { invokeFunction } from "./invoke.ts";
import {
  connect,
  history,
  OpsError,
  operatorAbandon,
  operatorPromote,
  operatorRollback,
  setPaused,
  status,
} from "./ops.ts";
import { replay } from "./replay.ts";
import { listScenarios, playScenario } from "./scenarios.ts";

const USAGE = `switchyard — event-driven control plane for AWS (local mode runs on a simulated account)

Usage:
  switchyard showcase                         play the showcase: a canary rolled back by an alarm, then a clean deploy
  switchyard replay [--config F] [--json] FILE...
                                              run EventBridge events (one per file, or a JSON array) through the control plane;
                                              a file may also hold the Lambda SNS event of a Cost Anomaly Detection alert
  switchyard scenario --list                  name the built-in scenarios
  switchyard scenario NAME [--config F] [--json]
                                              play one; exit 0 when it ends as expected, 1 otherwise
  switchyard invoke [--config F] FUNCTION FILE
                                              invoke one Switchyard function with the payload in FILE
  switchyard bench [--json]                   the performance benchmark
  switchyard status [--aws] [--json]          deployments: what each alias serves, the deployment record, alarms, kill switch;
                                              secrets: last and next rotation, stuck rotations
  switchyard history [--aws] [--limit N] [--json]
                                              the audit log: every decision, including "did nothing, because…"
  switchyard pause|resume [--aws] --reason R  the kill switch: pause or resume all automation
  switchyard rollback|promote|abandon DEPLOYMENT [--aws] --reason R
                                              put the alias back on the stable version / skip the bake and go to 100% /
                                              give up a stuck deployment (alias restored if it is its split, record settled)
  switchyard approve|deny ANOMALY_ID [--by B] [--json] FILE...
                                              answer a cost action waiting for approval, on the simulated account
                                              after replaying FILE...; with --aws (no FILE), on the real account

  switchyard failover start RUNBOOK [--dry-run] [--by B] [--aws] [--json]
                                              run a failover runbook; locally it runs on the simulated account and --by B
                                              answers its approval (the account lasts as long as the command); --dry-run
                                              plans every write and makes none (game day)
  switchyard failover failback|status|approve RUNBOOK --aws [--by B] [--json]
                                              the pending approval and the last report / approve the failover waiting

Options:
  --config F   switchyard.config.ts (default) or a .json file of the same shape
  --json       print data as one JSON object
  --verbose    show the functions' JSON logs on stderr
  --aws        act on the real account (credentials from the usual AWS chain) instead of the simulated one
  --dry-run    with the operations verbs: read for real, record the writes as a plan instead of sending them
  --table T    with --aws: the state table (default: $SWITCHYARD_TABLE)
  --reason R   why (recorded in the audit log with --by, default $USER)
`;

/** An error the user can fix: printed as its message, exit code 2, no stack trace. */
class UsageError extends Error {}

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      config: { type: "string" },
      json: { type: "boolean", default: false },
      list: { type: "boolean", default: false },
      verbose: { type: "boolean", default: false },
      help: { type: "boolean", short: "h", default: false },
      aws: { type: "boolean", default: false },
      "dry-run": { type: "boolean", default: false },
      table: { type: "string" },
      reason: { type: "string" },
      by: { type: "string" },
      limit: { type: "string" },
    },
  });
  const [verb, ...args] = positionals;
  if (values.help || !verb) {
    process.stdout.write(USAGE);
    return verb || values.help ? 0 : 2;
  }
  const config = () => loadConfig(resolve(values.config ?? "switchyard.config.ts"));
  switch (verb) {
    case "showcase":
      return showcase(await config());
    case "replay":
      return replayFiles(await config(), args, values.json);
    case "scenario":
      return scenario(args, values.list, values.json, values.config ? await config() : undefined);
    case "invoke":
      return invoke(await config(), args);
    case "status":
    case "history":
    case "pause":
    case "resume":
    case "rollback":
    case "promote":
    case "abandon":
      return operate(verb, args, values, await config());
    case "approve":
    case "deny":
      return answerApproval(verb, args, values, await config());
    case "failover":
      return failoverVerb(args, values, await config());
    case "bench": {
      const { runBench } = await import("./bench.ts");
      return runBench({ json: values.json });
    }
    default:
      throw new UsageError(`unknown verb "${verb}"\n\n${USAGE}`);
  }
}

async function operate(
  verb: string,
  args: string[],
  flags: {
    aws?: boolean;
    "dry-run"?: boolean;
    table?: string;
    reason?: string;
    by?: string;
    limit?: string;
    json?: boolean;
  },
  config: Config,
): Promise<number> {
  const by = flags.by ?? process.env.USER ?? "operator";
  const needsReason = ["pause", "resume", "rollback", "promote", "abandon"].includes(verb);
  if (needsReason && !flags.reason)
    throw new UsageError(`${verb} needs --reason "…": it goes into the audit log`);
  const needsDeployment = verb === "rollback" || verb === "promote" || verb === "abandon";
  if (needsDeployment && !args[0])
    throw new UsageError(`${verb} needs the deployment's name, e.g. switchyard ${verb} api --reason "…"`);
  const limit = flags.limit === undefined ? 50 : Number(flags.limit);
  if (!Number.isInteger(limit) || limit < 1)
    throw new UsageError(`--limit must be a positive whole number, got "${flags.limit}"`);
  const target = await connect(config, {
    aws: flags.aws ?? false,
    dryRun: flags["dry-run"] ?? false,
    ...(flags.table ? { table: flags.table } : {}),
  }).catch((error: unknown) => {
    throw error instanceof OpsError ? new UsageError(error.message) : error;
  });
  const print = (data: unknown, human: string) => {
    const plan = target.plan;
    const planned = plan
      ? `\ndry run: ${plan.length} write(s) not sent${plan.map((w) => `\n  ${w.service} ${w.action} ${JSON.stringify(w.input)}`).join("")}`
      : "";
    process.stdout.write(
      flags.json
        ? `${JSON.stringify(plan ? { result: data, plan } : data, null, 2)}\n`
        : `${human}${planned}\n`,
    );
  };
  try {
    switch (verb) {
      case "status": {
        const s = await status(config, target);
        const lines = s.deployments.map(
          (d) =>
            `${d.deployment.padEnd(16)} ${d.alias.padEnd(28)} ${d.serving}` +
            (d.record
              ? `\n${"".padEnd(17)}last deployment: ${d.record.status} (v${d.record.stableVersion} → v${d.record.newVersion || "?"}) ${d.record.executionArn.split(":").at(-1)}`
              : "") +
            `\n${"".padEnd(17)}alarms: ${
              Object.entries(d.alarms)
                .map(([n, v]) => `${n}=${v}`)
                .join(", ") || "none"
            }`,
        );
        const secrets = await secretStatuses(target.deps, config.secrets);
        const secretLines = secrets.map(
          (x) =>
            `${x.secret.padEnd(16)} ${x.rotator.padEnd(28)} ` +
            (x.problem
              ? x.problem
              : `last rotation: ${x.lastRotated ?? "never"}, next: ${x.nextRotation ?? (x.rotationEnabled ? "?" : "rotation off")}` +
                (x.stuck
                  ? `\n${"".padEnd(17)}STUCK: version ${x.stuck.version} is AWSPENDING and blocks rotation`
                  : "")),
        );
        print(
          { ...s, secrets },
          [
            `${s.where}`,
            `automation: ${s.paused ? `PAUSED (${s.pausedReason ?? ""})` : "running"}`,
            ...lines,
            ...(secretLines.length ? ["secrets:", ...secretLines] : []),
          ].join("\n"),
        );
        return 0;
      }
      case "history": {
        const records = await history(target, limit);
        print(
          records,
          records
            .map(
              (r) =>
                `${r.at}  ${r.reaction.padEnd(12)} ${r.decision.padEnd(14)} ${r.subject ?? ""} ${r.reason}`,
            )
            .join("\n") || "(no audit records)",
        );
        return 0;
      }
      case "pause":
      case "resume":
        await setPaused(target, verb === "pause", String(flags.reason), by);
        print(
          { paused: verb === "pause" },
          `automation ${verb === "pause" ? "paused" : "resumed"} on ${target.where}`,
        );
        return 0;
      default: {
        const out =
          verb === "rollback"
            ? await operatorRollback(config, target, String(args[0]), String(flags.reason), by)
            : verb === "abandon"
              ? await operatorAbandon(config, target, String(args[0]), String(flags.reason), by)
              : await operatorPromote(config, target, String(args[0]), String(flags.reason), by);
        print(out, `${out.outcome}: ${out.detail}`);
        return out.outcome === "stale" ? 1 : 0;
      }
    }
  } catch (error) {
    if (error instanceof OpsError) throw new UsageError(error.message);
    throw error;
  } finally {
    await target.close();
  }
}

async function showcase(config: Config): Promise<number> {
  const out = (line: string) => process.stdout.write(`${line}\n`);
  let failed = 0;
  for (const name of ["canary-rollback", "clean-canary"]) {
    const summary = listScenarios().find((s) => s.name === name)?.summary ?? "";
    out(`\n== ${name}: ${summary}\n`);
    const result = await playScenario(name, config, { live: out });
    out(`\n   alias: ${JSON.stringify(result.aliases)}`);
    out(`   ${result.passed ? "✓ as expected" : `✗ ${result.failures.join("; ")}`}`);
    if (!result.passed) failed++;
  }
  return failed === 0 ? 0 : 1;
}

async function readEvents(files: string[]): Promise<unknown[]> {
  if (files.length === 0)
    throw new UsageError(
      "replay needs at least one FILE holding an EventBridge event or a JSON array of them",
    );
  const events: unknown[] = [];
  for (const file of files) {
    let text: string;
    try {
      text = await readFile(file, "utf8");
    } catch (error) {
      throw new UsageError(
        `${file}: cannot be read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`,
      );
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (error) {
      throw new UsageError(`${file}: not JSON (${(error as Error).message})`);
    }
    events.push(...(Array.isArray(parsed) ? parsed : [parsed]));
  }
  return events;
}

/**
 * `switchyard approve|deny`. The simulated account lasts as long as the command, so locally the
 * alerts that led to the approval are replayed first (FILE...), the answer is given once they
 * wait, and the report shows what followed. With --aws the answer goes to the real account.
 */
async function answerApproval(
  verb: "approve" | "deny",
  args: string[],
  flags: { aws?: boolean; table?: string; by?: string; json?: boolean },
  config: Config,
): Promise<number> {
  const [anomalyId, ...files] = args;
  if (!anomalyId)
    throw new UsageError(
      `${verb} needs the anomaly's id, e.g. switchyard ${verb} 12345678-abcd-ef12-3456-987654321a12 alert.json`,
    );
  const by = flags.by ?? process.env.USER ?? "operator";
  const done = verb === "approve" ? "approved" : "denied";
  const { decideApproval } = await import("@switchyard/core/cost/approval");
  if (flags.aws) {
    if (files.length > 0) throw new UsageError(`${verb} --aws answers the real account: give no FILE`);
    const target = await connect(config, { aws: true, ...(flags.table ? { table: flags.table } : {}) }).catch(
      (error: unknown) => {
        throw error instanceof OpsError ? new UsageError(error.message) : error;
      },
    );
    try {
      const out = await decideApproval(target.deps, anomalyId, verb, by);
      process.stdout.write(flags.json ? `${JSON.stringify(out)}\n` : `${done}: ${out.executionArn}\n`);
      return 0;
    } catch (error) {
      process.stderr.write(`switchyard: ${(error as Error).message}\n`);
      return 1;
    } finally {
      await target.close();
    }
  }
  if (files.length === 0)
    throw new UsageError(
      `${verb} on the simulated account needs the alert FILE(s) to replay first (the account lasts as long as the command); use --aws for a real account`,
    );
  const events = await readEvents(files);
  let answer = "";
  const report = await replay(config, events, {
    afterEvents: async (plane) => {
      try {
        await decideApproval(plane.context, anomalyId, verb, by);
        await plane.settle();
        answer = `${done} by ${by}`;
      } catch (error) {
        answer = (error as Error).message;
      }
    },
  });
  const ok = answer.endsWith(`by ${by}`);
  if (flags.json) process.stdout.write(`${JSON.stringify({ answer, ...report }, null, 2)}\n`);
  else {
    process.stdout.write(`${answer}\n`);
    for (const a of report.audit.filter((r) => r.reaction === "cost"))
      process.stdout.write(`  ${a.decision.padEnd(18)} ${a.reason}\n`);
  }
  return ok ? 0 : 1;
}

async function replayFiles(config: Config, files: string[], json: boolean): Promise<number> {
  const events = await readEvents(files);
  const report = await replay(config, events);
  if (json) {
    process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    return 0;
  }
  for (const e of report.events) {
    process.stdout.write(
      `${e.status.padEnd(8)} ${e.source} ${e.detailType} ${e.id}${e.reason ? ` — ${e.reason}` : ""}\n`,
    );
    for (const r of e.reactions) {
      process.stdout.write(
        `         ${r.reaction}: ${r.outcome}${r.execution ? ` (${r.execution.split(":").at(-1)})` : ""} ${r.reason}\n`,
      );
    }
  }
  process.stdout.write(`aliases: ${JSON.stringify(report.aliases)}\n`);
  return 0;
}

async function scenario(
  args: string[],
  list: boolean,
  json: boolean,
  config: Config | undefined,
): Promise<number> {
  if (list || args.length === 0) {
    for (const s of listScenarios()) process.stdout.write(`${s.name.padEnd(24)} ${s.summary}\n`);
    return list ? 0 : 2;
  }
  const [name] = args;
  if (!listScenarios().some((s) => s.name === name)) {
    throw new UsageError(`unknown scenario "${name}"; run \`switchyard scenario --list\` to see them`);
  }
  const live = json ? undefined : (line: string) => process.stdout.write(`${line}\n`);
  const result = await playScenario(
    String(name),
    config ?? (await loadConfig(resolve("switchyard.config.ts"))),
    live ? { live } : {},
  );
  if (json) process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  else process.stdout.write(`\n${result.passed ? "✓ as expected" : `✗ ${result.failures.join("; ")}`}\n`);
  return result.passed ? 0 : 1;
}

async function invoke(config: Config, args: string[]): Promise<number> {
  const [fn, file] = args;
  if (!fn || !file)
    throw new UsageError("invoke needs FUNCTION and FILE, e.g. switchyard invoke rollback alarm.json");
  const [payload] = await readEvents([file]);
  const out = await invokeFunction(config, fn, payload);
  if (out.error) {
    process.stderr.write(`${out.error.errorType}: ${out.error.errorMessage}\n`);
    return 1;
  }
  process.stdout.write(`${JSON.stringify(out.result, null, 2)}\n`);
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    if (
      error instanceof UsageError ||
      error instanceof ConfigError ||
      (error as { code?: string }).code === "ERR_PARSE_ARGS_UNKNOWN_OPTION"
    ) {
      process.stderr.write(`switchyard: ${(error as Error).message}\n`);
      process.exitCode = 2;
      return;
    }
    process.stderr.write(`switchyard: unexpected error: ${(error as Error).stack ?? String(error)}\n`);
    process.exitCode = 70;
  },
);

/** `switchyard failover start|status|approve RUNBOOK`. */
async function failoverVerb(
  args: string[],
  flags: { aws?: boolean; "dry-run"?: boolean; table?: string; by?: string; json?: boolean },
  config: Config,
): Promise<number> {
  const [action, runbook] = args;
  if (!action || !["start", "failback", "status", "approve"].includes(action) || !runbook)
    throw new UsageError(
      "usage: switchyard failover start|failback|status|approve RUNBOOK [--dry-run] [--by B] [--aws]",
    );
  const { answerApproval: approveFailover } = await import("@switchyard/core/failover/approval");
  const { failoverStatus, findRunbook, startFailback, startFailover } = await import(
    "@switchyard/core/failover/operator"
  );
  try {
    findRunbook(config, runbook);
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const by = flags.by ?? process.env.USER ?? "operator";
  const print = (data: unknown, human: string) =>
    process.stdout.write(flags.json ? `${JSON.stringify(data, null, 2)}\n` : `${human}\n`);
  if (flags.aws) {
    // The real account: the run goes on in Step Functions after the command ends.
    const target = await connect(config, { aws: true, ...(flags.table ? { table: flags.table } : {}) }).catch(
      (error: unknown) => {
        throw error instanceof OpsError ? new UsageError(error.message) : error;
      },
    );
    if (action === "status") {
      const record = await failoverStatus(target.deps, config, runbook);
      print(
        record,
        record.markdown ??
          `${runbook}: no failover report yet${record.approval ? "; one waits for approval" : ""}`,
      );
    } else if (action === "approve") {
      const out = await approveFailover(target.deps, runbook, { approve: true, by });
      print(out, `approved ${out.executionArn} as ${by}`);
    } else {
      // Each machine's ARN from its own variable (the ones the stack gives its functions), never derived.
      const failback = action === "failback";
      const variable = failback ? ENV.failbackStateMachine : ENV.failoverStateMachine;
      const stateMachineArn = process.env[variable];
      if (!stateMachineArn)
        throw new UsageError(
          `--aws needs ${variable} (the stack's ${failback ? "failback" : "failover"} state machine)`,
        );
      const out = await (failback ? startFailback : startFailover)(target.deps, config, {
        runbook,
        stateMachineArn,
        dryRun: flags["dry-run"] ?? false,
        by,
      });
      print(out, `started ${out.executionArn}; approve with: switchyard failover approve ${runbook} --aws`);
    }
    return 0;
  }
  if (action !== "start")
    throw new UsageError(
      `locally the simulated account lasts as long as one command: use "switchyard failover start ${runbook} --by NAME", ` +
        "which answers the approval itself (a local failback needs a failover first: see the ignition-failover scenario)",
    );
  const { startControlPlane, LOCAL_NAMES } = await import("./local/control-plane.ts");
  const plane = await startControlPlane(config);
  try {
    const stateMachineArn = plane.account.arn("states", `stateMachine:${LOCAL_NAMES.failoverStateMachine}`);
    const started = await startFailover(plane.context, config, {
      runbook,
      stateMachineArn,
      dryRun: flags["dry-run"] ?? false,
      by,
    });
    await plane.runOut();
    if (plane.account.sfn.waitingTokens().length > 0) {
      if (!flags.by) {
        print(
          { ...started, status: "waiting for approval" },
          `${started.name} waits for approval: run it again with --by NAME to approve`,
        );
        return 1;
      }
      await approveFailover(plane.context, runbook, { approve: true, by });
      await plane.runOut();
    }
    const execution = plane.account.sfn.execution(started.executionArn);
    const record = await failoverStatus(plane.context, config, runbook);
    const ok = execution?.status === "SUCCEEDED";
    print(
      {
        execution: started.executionArn,
        status: execution?.status,
        error: execution?.error,
        cause: execution?.cause,
        report: record.report ?? null,
      },
      ok
        ? (record.markdown ?? "")
        : `${started.name} ${execution?.status}: ${execution?.error ?? ""} ${execution?.cause ?? ""}`,
    );
    return ok ? 0 : 1;
  } finally {
    await plane.close();
  }
}
