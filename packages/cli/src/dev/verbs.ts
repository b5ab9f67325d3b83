import { readFile } from "node:fs/promises";
import { resolve } from "node:path";
import { type ParseArgsConfig, parseArgs } from "node:util";
import type { EventReport } from "../replay.ts";
import { DevApiError, type DevEndpoint, findDev, getJson, postJson } from "./client.ts";
import { stateDir } from "./journal.ts";
import { DEV_OPERATIONS, historyText } from "./operations.ts";

/**
 * The verbs of the live local control plane (`dev`, `ui`, `send`, `advance`), and the
 * operations verbs when a `switchyard dev` runs in this folder: they act on it through its API.
 * Each verb parses its own flags; only node builtins are imported up front, so `--help` stays quick.
 */

export const DEV_USAGE = `  switchyard dev [--config F] [--port N] [--speed X] [--start ISO] [--reset]
                                              run the control plane on the simulated account until stopped, with the
                                              dashboard and its API on 127.0.0.1; state under .switchyard/ (a journal
                                              replayed on start); --speed 60 runs virtual time at 60× (0: only advance moves it)
  switchyard ui [...]                         print the running dashboard's address, or start dev (the dashboard is part of it)
  switchyard ui --aws [--allow-actions] [--profile NAME] [--stage STAGE] [--port N]
                                              the dashboard over a real account (what status --aws reads, every 5 s);
                                              read-only unless --allow-actions (then its buttons act, as the verbs do)
  switchyard send FILE...                     send EventBridge events (or cost alerts' SNS events) to the running dev;
                                              JSON files dropped in .switchyard/inbox/ are sent too
  switchyard advance DURATION                 move the running dev's virtual time forward (e.g. 5m, 1h30m)
  switchyard status [DEPLOYMENT] --watch      weights, step, bake left and alarms, live (redrawn on a terminal,
                                              one line per change when piped)
  While dev runs, status, history, pause, resume, rollback, promote, abandon, approve, deny and failover act on it.
`;

class DevUsageError extends Error {}
class DevFailure extends Error {}

/**
 * Runs `argv` when it is a dev verb, or an operations verb that a running dev answers; returns
 * its exit code, or undefined for the caller to run it as before (another verb, `--aws`,
 * `--dry-run`, or no dev running where acting on a fresh simulated account still makes sense).
 */
export async function routeDev(argv: readonly string[]): Promise<number | undefined> {
  const { positionals } = parseArgs({
    args: [...argv],
    allowPositionals: true,
    strict: false,
    options: {
      ...OPS_OPTIONS,
      port: { type: "string" },
      speed: { type: "string" },
      start: { type: "string" },
    },
  });
  const verb = positionals[0];
  if (!verb || (!DEV_OPERATIONS.has(verb) && !DEV_VERBS.has(verb))) return undefined;
  try {
    const run = DEV_VERBS.get(verb);
    if (run) return await run(argv.filter((_, i) => i !== argv.indexOf(verb)));
    return await operate(verb, argv);
  } catch (error) {
    if (error instanceof DevUsageError) {
      process.stderr.write(`switchyard: ${error.message}\n`);
      return 2;
    }
    if (error instanceof DevFailure || error instanceof DevApiError) {
      process.stderr.write(`switchyard: ${error.message}\n`);
      return 1;
    }
    if ((error as { code?: string }).code === "ERR_PARSE_ARGS_UNKNOWN_OPTION") {
      // Node words it for programmers ("To specify a positional argument…"): name the option and the help instead.
      const option = /Unknown option '([^']+)'/.exec((error as Error).message)?.[1] ?? "that option";
      process.stderr.write(
        `switchyard: ${verb} has no option ${option}; see \`switchyard ${verb} --help\`\n`,
      );
      return 2;
    }
    if ((error as Error).name === "ConfigError") {
      process.stderr.write(`switchyard: ${(error as Error).message}\n`);
      return 2;
    }
    throw error;
  }
}

const here = () => stateDir(process.cwd());
const notRunning = () =>
  new DevFailure(
    `no switchyard dev runs in ${process.cwd()} (no live .switchyard/dev.json): start one with \`switchyard dev\`, or act on a real account with --aws`,
  );

function parse<O extends NonNullable<ParseArgsConfig["options"]>>(args: readonly string[], options: O) {
  return parseArgs({
    args: [...args],
    allowPositionals: true,
    strict: true,
    options: { ...options, help: { type: "boolean", short: "h" } },
  });
}

const DEV_VERBS = new Map<string, (args: string[]) => Promise<number>>([
  ["dev", (args) => runDev(args, "dev")],
  ["ui", (args) => runDev(args, "ui")],
  ["send", send],
  ["advance", advance],
]);

async function runDev(args: string[], verb: "dev" | "ui"): Promise<number> {
  const { values, positionals } = parse(args, {
    config: { type: "string" },
    port: { type: "string" },
    speed: { type: "string" },
    start: { type: "string" },
    reset: { type: "boolean" },
    verbose: { type: "boolean" },
    aws: { type: "boolean" },
    "allow-actions": { type: "boolean" },
    profile: { type: "string" },
    region: { type: "string" },
    stage: { type: "string" },
    table: { type: "string" },
  });
  if (values.help) {
    process.stdout.write(
      `switchyard ${verb} — ${verb === "dev" ? "the control plane on the simulated account, with its dashboard" : "the dashboard: of a running dev, or of a real account with --aws"}\n\nUsage:\n${DEV_USAGE}`,
    );
    return 0;
  }
  if (positionals.length > 0) throw new DevUsageError(`${verb} takes no arguments, got "${positionals[0]}"`);
  const port = values.port === undefined ? 0 : Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new DevUsageError(
      `--port must be a port number (0-65535; 0 picks a free one), got "${values.port}"`,
    );
  const awsOnly = (["allow-actions", "profile", "region", "stage", "table"] as const).find(
    (flag) => values[flag] !== undefined,
  );
  if (values.aws) {
    if (verb === "dev")
      throw new DevUsageError(
        "dev runs the simulated account; for a real account's dashboard run `switchyard ui --aws`",
      );
    return uiAws(values, port);
  }
  if (awsOnly) throw new DevUsageError(`--${awsOnly} goes with --aws: switchyard ui --aws --${awsOnly} …`);
  const speed = values.speed === undefined ? 1 : Number(values.speed);
  if (!Number.isFinite(speed) || speed < 0 || speed > 1_000_000)
    throw new DevUsageError(
      `--speed must be a number of virtual seconds per second (0 stops the clock), got "${values.speed}"`,
    );
  const start = values.start === undefined ? undefined : Date.parse(values.start);
  if (start !== undefined && !Number.isFinite(start))
    throw new DevUsageError(
      `--start must be an ISO 8601 instant (e.g. 2026-11-25T09:00:00Z), got "${values.start}"`,
    );
  const dir = here();
  const running = await findDev(dir);
  if (running) {
    if (verb === "ui") {
      process.stdout.write(`${running.url}\n`);
      return 0;
    }
    throw new DevFailure(
      `switchyard dev already runs here (pid ${running.pid}, ${running.url}); stop it first`,
    );
  }
  const { mkdir } = await import("node:fs/promises");
  await mkdir(dir.inbox, { recursive: true });
  const { loadConfig } = await import("@switchyard/core/config/index");
  const config = await loadConfig(resolve(values.config ?? "switchyard.config.ts"));
  const { DevPlane } = await import("./engine.ts");
  const { JournalError } = await import("./journal.ts");
  const { serveDev } = await import("./server.ts");
  const out = (line: string) => process.stdout.write(`${line}\n`);
  let dev: import("./engine.ts").DevPlane;
  try {
    dev = await DevPlane.open({
      config,
      dir,
      speed,
      ...(start !== undefined ? { start } : {}),
      ...(values.reset ? { reset: true } : {}),
      log: out,
    });
  } catch (error) {
    if (error instanceof JournalError) throw new DevFailure(error.message);
    throw error;
  }
  const server = await serveDev(dev, {
    dir,
    port,
    operator: process.env.USER ?? "operator",
    log: (line) => process.stderr.write(`${line}\n`),
  }).catch(async (error: unknown) => {
    await dev.close();
    if ((error as NodeJS.ErrnoException).code === "EADDRINUSE")
      throw new DevFailure(`port ${port} is taken: pick another with --port N, or --port 0 for a free one`);
    throw error;
  });
  const r = dev.restored;
  out(`switchyard ${verb}: dashboard and API on ${server.url}`);
  out(
    `  virtual time ${new Date(dev.now()).toISOString()}, ${speed === 0 ? "stopped (switchyard advance moves it)" : `speed ×${speed}`}; ` +
      `journal ${dir.journal}: ${r.entries} entries (${r.events} events) replayed in ${r.millis} ms`,
  );
  out(
    "  send events with `switchyard send FILE...` or drop JSON files in .switchyard/inbox/; stop with Ctrl-C",
  );
  await stopped();
  await server.close();
  await dev.close();
  out(`switchyard ${verb}: stopped; state kept in ${dir.root}`);
  return 0;
}

/** `switchyard ui --aws [--allow-actions]`: the dashboard over a real account, until stopped. */
async function uiAws(flags: Record<string, string | boolean | undefined>, port: number): Promise<number> {
  const { loadConfig } = await import("@switchyard/core/config/index");
  const config = await loadConfig(resolve(String(flags.config ?? "switchyard.config.ts")));
  const { connectAws, machineArn } = await import("../commands/aws.ts");
  const { serveAwsDashboard } = await import("../ui/aws.ts");
  const target = connectAws(config, flags);
  const allowActions = flags["allow-actions"] === true;
  const server = await serveAwsDashboard(config, target, {
    port,
    allowActions,
    operator: process.env.USER ?? "operator",
    machines: {
      failover: () => machineArn(target.stack, "failover"),
      failback: () => machineArn(target.stack, "failback"),
    },
    log: (line) => process.stderr.write(`${line}\n`),
  }).catch((error: unknown) => {
    if ((error as NodeJS.ErrnoException).code === "EADDRINUSE")
      throw new DevFailure(`port ${port} is taken: pick another with --port N, or --port 0 for a free one`);
    throw error;
  });
  const out = (line: string) => process.stdout.write(`${line}\n`);
  out(`switchyard ui --aws: dashboard on ${server.url}`);
  out(
    `  reading ${target.where}; ${allowActions ? "actions ENABLED: the page's buttons act on this account" : "read-only (add --allow-actions to act)"}; stop with Ctrl-C`,
  );
  await stopped();
  await server.close();
  out("switchyard ui --aws: stopped");
  return 0;
}

/** Resolves on SIGINT or SIGTERM. */
function stopped(): Promise<void> {
  return new Promise<void>((done) => {
    const stop = () => {
      process.off("SIGINT", stop);
      process.off("SIGTERM", stop);
      done();
    };
    process.on("SIGINT", stop);
    process.on("SIGTERM", stop);
  });
}

async function send(args: string[]): Promise<number> {
  const { values, positionals } = parse(args, { json: { type: "boolean" }, config: { type: "string" } });
  if (values.help) {
    process.stdout.write(
      "switchyard send — send EventBridge events (or cost alerts' SNS events) to the running dev\n\n" +
        "Usage:\n  switchyard send [--json] FILE...\n",
    );
    return 0;
  }
  if (positionals.length === 0)
    throw new DevUsageError(
      "send needs at least one FILE holding an EventBridge event or a JSON array of them",
    );
  const events: unknown[] = [];
  for (const file of positionals) {
    let text: string;
    try {
      text = await readFile(file, "utf8");
    } catch (error) {
      throw new DevUsageError(`${file}: cannot be read (${(error as NodeJS.ErrnoException).code ?? ""})`);
    }
    try {
      const parsed: unknown = JSON.parse(text);
      events.push(...(Array.isArray(parsed) ? parsed : [parsed]));
    } catch (error) {
      throw new DevUsageError(`${file}: not JSON (${(error as Error).message})`);
    }
  }
  const dev = await findDev(here());
  if (!dev) throw notRunning();
  const { reports } = await postJson<{ reports: EventReport[] }>(dev, "api/events?from=send", events);
  if (values.json) process.stdout.write(`${JSON.stringify({ reports }, null, 2)}\n`);
  else
    for (const e of reports) {
      process.stdout.write(
        `${e.status.padEnd(8)} ${e.source} ${e.detailType} ${e.id}${e.reason ? ` — ${e.reason}` : ""}\n`,
      );
      for (const r of e.reactions)
        process.stdout.write(`         ${r.reaction}: ${r.decision} ${r.reason}\n`);
    }
  return 0;
}

async function advance(args: string[]): Promise<number> {
  const { values, positionals } = parse(args, { json: { type: "boolean" } });
  if (values.help) {
    process.stdout.write(
      "switchyard advance — move the running dev's virtual time forward\n\n" +
        "Usage:\n  switchyard advance DURATION   e.g. 30s, 5m, 1h30m, 2d\n",
    );
    return 0;
  }
  const [duration] = positionals;
  if (!duration || positionals.length > 1)
    throw new DevUsageError("advance needs one DURATION, e.g. switchyard advance 5m");
  const { readDuration } = await import("@switchyard/core/config/duration");
  const read = readDuration(duration);
  if ("problem" in read) throw new DevUsageError(read.problem);
  const dev = await findDev(here());
  if (!dev) throw notRunning();
  const out = await postJson<{ now: number }>(dev, "api/advance", { duration });
  process.stdout.write(
    values.json
      ? `${JSON.stringify({ now: new Date(out.now).toISOString() })}\n`
      : `virtual time is now ${new Date(out.now).toISOString()}\n`,
  );
  return 0;
}

const ANOMALY_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const OPS_OPTIONS = {
  config: { type: "string" },
  json: { type: "boolean" },
  verbose: { type: "boolean" },
  aws: { type: "boolean" },
  "dry-run": { type: "boolean" },
  table: { type: "string" },
  reason: { type: "string" },
  by: { type: "string" },
  to: { type: "string" },
  limit: { type: "string" },
  list: { type: "boolean" },
  watch: { type: "boolean" },
  image: { type: "string" },
  tag: { type: "string" },
  "break-glass": { type: "boolean" },
  force: { type: "boolean" },
} as const;

/** The operations verbs while a dev control plane runs here; undefined hands them back to the caller. */
async function operate(verb: string, argv: readonly string[]): Promise<number | undefined> {
  // Loose first: flags this module does not know are the caller's to judge.
  const loose = parseArgs({ args: [...argv], allowPositionals: true, strict: false, options: OPS_OPTIONS });
  if (loose.values.help || loose.values.aws || loose.values["dry-run"]) {
    if (loose.values.watch && loose.values.aws)
      throw new DevUsageError("status --watch follows a running switchyard dev; it has no --aws mode yet");
    return undefined;
  }
  const { values, positionals } = parseArgs({
    args: [...argv],
    allowPositionals: true,
    strict: true,
    options: OPS_OPTIONS,
  });
  const args = positionals.slice(positionals.indexOf(verb) + 1);
  const by = values.by ?? process.env.USER ?? "operator";
  // deploy|retry|abort DEPLOYMENT and pause|resume DEPLOYMENT (ADR 0029): one rollout, through the journal.
  const deploymentVerb =
    ["deploy", "retry", "abort", "unfreeze"].includes(verb) ||
    (["pause", "resume"].includes(verb) && args[0]);
  if (deploymentVerb) {
    const { deploymentAction } = await import("../commands/operator.ts");
    let action: Record<string, unknown>;
    try {
      action = { do: "deployment", ...deploymentAction(verb, args, values) };
    } catch (error) {
      throw new DevUsageError((error as Error).message);
    }
    const dev = await findDev(here());
    if (!dev) throw notRunning();
    return operateOn(dev, action, values.json === true);
  }
  const onDeployment = verb === "rollback" || verb === "promote" || verb === "abandon";
  if ((onDeployment || verb === "pause" || verb === "resume") && !values.reason) return undefined; // the caller names the missing --reason
  if (onDeployment && !args[0]) return undefined;
  if (values.to !== undefined && verb !== "rollback") return undefined; // the caller refuses the option
  if (values.watch && verb !== "status") throw new DevUsageError(`--watch goes with status, not ${verb}`);
  const dev = await findDev(here());
  if (!dev) {
    if (values.watch) throw notRunning();
    if (verb === "status") {
      process.stderr.write(
        "switchyard: no switchyard dev runs here: this is a fresh simulated account seeded from the config (start one with `switchyard dev`)\n",
      );
      return undefined;
    }
    // Approvals and failovers replay their own world locally; the caller keeps that behaviour.
    if (verb === "approve" || verb === "deny" || verb === "failover") return undefined;
    throw notRunning();
  }
  const print = (data: unknown, human: string) =>
    process.stdout.write(values.json ? `${JSON.stringify(data, null, 2)}\n` : `${human}\n`);
  const act = async (action: Record<string, unknown>, done: (result: unknown) => string) => {
    const out = await postJson<{ ok: boolean; result?: unknown; error?: string }>(dev, "api/actions", {
      ...action,
      by,
    });
    if (!out.ok) {
      if (values.json) print(out, "");
      else process.stderr.write(`switchyard: ${out.error}\n`);
      return 1;
    }
    print(out.result, done(out.result));
    const outcome = (out.result as { outcome?: string } | undefined)?.outcome;
    return outcome === "stale" ? 1 : 0;
  };
  switch (verb) {
    case "status":
      return devStatus(dev, args[0], values.watch === true, values.json === true);
    case "history": {
      const limit = values.limit === undefined ? 50 : Number(values.limit);
      if (!Number.isInteger(limit) || limit < 1)
        throw new DevUsageError(`--limit must be a positive whole number, got "${values.limit}"`);
      const records = await getJson<
        { at: string; reaction: string; decision: string; subject?: string; reason: string }[]
      >(dev, `api/history?limit=${limit}`);
      print(records, historyText(records));
      return 0;
    }
    case "pause":
    case "resume":
      return act(
        { do: verb, reason: values.reason },
        () => `automation ${verb === "pause" ? "paused" : "resumed"} on switchyard dev`,
      );
    case "rollback":
    case "promote":
    case "abandon":
      return act({ do: verb, deployment: args[0], reason: values.reason, to: values.to }, (r) => {
        const out = r as { outcome: string; detail: string };
        return `${out.outcome}: ${out.detail}`;
      });
    case "approve":
    case "deny": {
      const [anomaly, ...files] = args;
      // A deployment's approval gate: its name is no anomaly id (Cost Anomaly Detection's are UUIDs).
      if (anomaly && !ANOMALY_ID.test(anomaly)) {
        if (!values.reason) return undefined; // the caller names the missing --reason
        return act(
          { do: `deploy-${verb}`, deployment: anomaly, reason: values.reason },
          (r) =>
            `${verb === "approve" ? "approved" : "denied"} step ${(r as { step: number }).step} of ${anomaly} by ${by}`,
        );
      }
      if (!anomaly)
        throw new DevUsageError(
          `${verb} needs the anomaly's id, e.g. switchyard ${verb} 12345678-abcd-ef12-3456-987654321a12`,
        );
      if (files.length > 0)
        throw new DevUsageError(
          `${verb} acts on the running switchyard dev: send the alerts with \`switchyard send FILE...\`, then ${verb} without FILE`,
        );
      return act({ do: verb, anomaly }, () => `${verb === "approve" ? "approved" : "denied"} by ${by}`);
    }
    default:
      return failover(dev, args, values.json === true, act, print);
  }
}

/** Posts one deployment action to the running dev and prints its outcome (1 when refused). */
async function operateOn(dev: DevEndpoint, action: Record<string, unknown>, json: boolean): Promise<number> {
  const out = await postJson<{ ok: boolean; result?: { outcome: string; detail: string }; error?: string }>(
    dev,
    "api/actions",
    action,
  );
  if (json) process.stdout.write(`${JSON.stringify(out.ok ? out.result : out, null, 2)}\n`);
  else if (!out.ok) process.stderr.write(`switchyard: ${out.error}\n`);
  else process.stdout.write(`${out.result?.outcome}: ${out.result?.detail}\n`);
  return out.ok ? 0 : 1;
}

async function failover(
  dev: DevEndpoint,
  args: string[],
  json: boolean,
  act: (action: Record<string, unknown>, done: (result: unknown) => string) => Promise<number>,
  print: (data: unknown, human: string) => void,
): Promise<number> {
  const [action, runbook] = args;
  const actions = ["start", "failback", "status", "approve", "deny"];
  if (!action || !actions.includes(action) || !runbook)
    throw new DevUsageError(`usage: switchyard failover ${actions.join("|")} RUNBOOK [--by B]`);
  if (action === "status") {
    const runs = await getJson<{ runbook: string; markdown?: string; waitingForApproval?: unknown }[]>(
      dev,
      "api/failovers",
    );
    const run = runs.find((r) => r.runbook === runbook);
    if (!run)
      throw new DevUsageError(
        `no runbook "${runbook}" in the config; runbooks: ${runs.map((r) => r.runbook).join(", ")}`,
      );
    print(
      run,
      run.markdown ??
        `${runbook}: no failover report yet${run.waitingForApproval ? "; one waits for approval" : ""}`,
    );
    return 0;
  }
  const what = {
    start: "failover-start",
    failback: "failback-start",
    approve: "failover-approve",
    deny: "failover-deny",
  }[action];
  return act({ do: what, runbook }, (r) => {
    const out = r as { executionArn?: string };
    return action === "approve" || action === "deny"
      ? `${action === "approve" ? "approved" : "denied"} ${out.executionArn ?? ""}`
      : `started ${out.executionArn ?? ""}; ${json ? "" : `approve with: switchyard failover approve ${runbook}`}`;
  });
}

async function devStatus(
  dev: DevEndpoint,
  only: string | undefined,
  watch: boolean,
  json: boolean,
): Promise<number> {
  const { hms, routing, watchStatus } = await import("./watch.ts");
  const state = await getJson<import("./view.ts").DevState>(dev, "api/state");
  if (only && !state.deployments.some((d) => d.name === only))
    throw new DevUsageError(
      `no deployment "${only}" in the config; deployments: ${state.deployments.map((d) => d.name).join(", ")}`,
    );
  if (watch) {
    if (json) throw new DevUsageError("status --watch prints lines; use the API's /api/stream for JSON");
    const stop = new AbortController();
    const quit = () => stop.abort();
    process.once("SIGINT", quit);
    process.once("SIGTERM", quit);
    process.stdout.on("error", quit);
    await watchStatus(dev, only, process.stdout, stop.signal);
    process.off("SIGINT", quit);
    process.off("SIGTERM", quit);
    if (stop.signal.aborted) return 0;
    process.stderr.write("switchyard: switchyard dev stopped\n");
    return 1;
  }
  const status = await getJson<Record<string, unknown>>(dev, "api/status");
  const deployments = state.deployments.filter((d) => !only || d.name === only);
  const lines = deployments.map((d) => {
    const r = d.record;
    const bake =
      d.step?.bakeUntil !== undefined ? `, bake left ${hms((d.step.bakeUntil - state.now) / 1000)}` : "";
    return [
      `${d.name.padEnd(16)} ${d.alias.padEnd(28)} ${d.serving} (${routing(d)})`,
      ...(r
        ? [
            `${"".padEnd(17)}last deployment: ${r.status} (v${r.stableVersion} → v${r.newVersion || "?"}) ${r.executionArn.split(":").at(-1)}` +
              (d.step ? `, step ${d.step.index} of ${d.step.of} (${d.step.percent}%)${bake}` : ""),
          ]
        : []),
      `${"".padEnd(17)}alarms: ${d.alarms.map((a) => `${a.name}=${a.state}`).join(", ") || "none"}`,
    ].join("\n");
  });
  const secrets = state.secrets.map(
    (x) =>
      `${x.secret.padEnd(16)} ${x.rotator.padEnd(28)} ` +
      (x.problem ??
        `last rotation: ${x.lastRotated ?? "never"}, next: ${x.nextRotation ?? (x.rotationEnabled ? "?" : "rotation off")}` +
          (x.stuck
            ? `\n${"".padEnd(17)}STUCK: version ${x.stuck.version} is AWSPENDING and blocks rotation`
            : "")),
  );
  const k = state.killSwitch;
  const human = [
    `switchyard dev at ${dev.url} (virtual time ${new Date(state.now).toISOString()})`,
    `automation: ${k.paused ? `PAUSED (${k.reason ?? ""}${k.by ? `, by ${k.by}` : ""})` : "running"}`,
    ...lines,
    ...(secrets.length && !only ? ["secrets:", ...secrets] : []),
  ].join("\n");
  process.stdout.write(json ? `${JSON.stringify(status, null, 2)}\n` : `${human}\n`);
  return 0;
}
