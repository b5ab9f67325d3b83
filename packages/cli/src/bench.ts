import { cpus } from "node:os";
import { type Bundles, measureBundles } from "./bench/bundles.ts";
import { type FailoverTransitions, measureFailoverTransitions } from "./bench/failover.ts";
import { measureRollbackLatency, type RollbackLatency } from "./bench/rollback.ts";
import { measureRotation, type RotationRun } from "./bench/rotation.ts";
import { measureRules, type RuleCount } from "./bench/rules.ts";
import { measureReplayThroughput, type ReplayThroughput } from "./bench/throughput.ts";
import { type DeployTransitions, measureTransitions } from "./bench/transitions.ts";

/** A metric's target, as people say it, and whether this run met it (null: no target, reported only). */
interface Target {
  target: string | null;
  met: boolean | null;
}

export interface BenchReport {
  mode: "full" | "quick";
  node: string;
  cpus: number;
  rollbackLatency: RollbackLatency & Target;
  replayThroughput: ReplayThroughput & Target;
  bundles: Bundles & Target;
  rules: RuleCount & Target;
  transitions: { runs: DeployTransitions[] } & Target;
  /** A full PostgreSQL credential rotation; `error` when it could not run (no PostgreSQL installed). */
  rotation: { runs: RotationRun[]; error?: string } & Target;
  /** State transitions per failover run of the Ignition example. */
  failover: { runs: FailoverTransitions[] } & Target;
  /** One line per missed target or failed check, saying what was seen. */
  notes: string[];
}

/** How much each part measures: the quick mode only proves the bench runs and reports. */
const SIZES = {
  full: { rollbackIterations: 200, rollbackWarmup: 10, replayCycles: 50, importRuns: 5, matchRounds: 50_000 },
  quick: { rollbackIterations: 5, rollbackWarmup: 1, replayCycles: 2, importRuns: 1, matchRounds: 1_000 },
} as const;

const TARGETS = {
  rollbackP99Ms: 10,
  bundleBytes: 1_000_000,
  rules: 20,
  canaryTransitions: 20,
} as const;

/**
 * `switchyard bench`: rollback latency, replay throughput, bundle sizes and cold imports,
 * rule count, state transitions. Exits 0 whether or not targets are met: the report says.
 */
export async function runBench(options: {
  json: boolean;
  quick?: boolean;
  write?: (s: string) => void;
  /** Receives the finished report (`switchyard bench --check` reads its targets). */
  onReport?: (report: BenchReport) => void;
}): Promise<number> {
  const write = options.write ?? ((s: string) => process.stdout.write(s));
  const mode = options.quick ? "quick" : "full";
  const size = SIZES[mode];
  const progress = (what: string) => {
    if (!options.json) process.stderr.write(`bench: ${what}…\n`);
  };

  progress("rollback latency");
  const latency = await measureRollbackLatency({
    iterations: size.rollbackIterations,
    warmup: size.rollbackWarmup,
  });
  progress("replay throughput");
  const throughput = await measureReplayThroughput(size.replayCycles);
  progress("bundles and cold imports");
  const bundles = await measureBundles(size.importRuns);
  progress("EventBridge rules");
  const rules = await measureRules(size.matchRounds);
  progress("state transitions");
  const runs = await measureTransitions();
  progress("secret rotation against PostgreSQL");
  const rotation = await measureRotation().then(
    (rotationRuns) => ({ runs: rotationRuns }),
    (error: Error) => ({ runs: [] as RotationRun[], error: error.message }),
  );

  progress("failover state transitions");
  const failoverRuns = await measureFailoverTransitions();

  const canaries = runs.filter((r) => r.strategy.startsWith("Canary"));
  const report: BenchReport = {
    mode,
    node: process.version,
    cpus: cpus().length,
    rollbackLatency: {
      ...latency,
      target: `p99 ≤ ${TARGETS.rollbackP99Ms} ms`,
      met: latency.p99 <= TARGETS.rollbackP99Ms,
    },
    replayThroughput: { ...throughput, target: null, met: null },
    bundles: {
      ...bundles,
      target: `≤ ${TARGETS.bundleBytes} bytes each`,
      met: bundles.functions.every((f) => f.bytes <= TARGETS.bundleBytes),
    },
    rules: {
      ...rules,
      target: `≤ ${TARGETS.rules}, the same for 1 and ${rules.deployments} deployments`,
      met: rules.oneDeployment === rules.manyDeployments && rules.manyDeployments <= TARGETS.rules,
    },
    transitions: {
      runs,
      target: `≤ ${TARGETS.canaryTransitions} for the one-step canary`,
      met: canaries.every((r) => r.transitions <= TARGETS.canaryTransitions && r.outcome === "deployed"),
    },
    rotation: { ...rotation, target: null, met: null },
    failover: { runs: failoverRuns, target: null, met: null },
    notes: [],
  };
  report.notes = notes(report);
  options.onReport?.(report);
  write(options.json ? `${JSON.stringify(report, null, 2)}\n` : table(report));
  return 0;
}

function notes(r: BenchReport): string[] {
  const out: string[] = [];
  if (!r.rollbackLatency.met)
    out.push(`rollback latency p99 ${r.rollbackLatency.p99} ms is over ${TARGETS.rollbackP99Ms} ms`);
  for (const f of r.bundles.functions) {
    if (f.bytes > TARGETS.bundleBytes) {
      const heaviest = f.heaviest.map((h) => `${h.package} ${h.bytes}`).join(", ");
      out.push(`bundle ${f.name} is ${f.bytes} bytes, over ${TARGETS.bundleBytes}; heaviest: ${heaviest}`);
    }
    if (f.importError)
      out.push(`importing the ${f.name} bundle with no environment failed: ${f.importError}`);
  }
  if (!r.rules.met)
    out.push(
      `rules: ${r.rules.oneDeployment} for 1 deployment, ${r.rules.manyDeployments} for ${r.rules.deployments}`,
    );
  for (const run of r.transitions.runs) {
    if (run.outcome !== "deployed")
      out.push(
        `the ${label(run)} deploy ended ${run.outcome}, not deployed: its transition count is partial`,
      );
    else if (run.strategy.startsWith("Canary") && run.transitions > TARGETS.canaryTransitions)
      out.push(`the ${label(run)} deploy took ${run.transitions} transitions`);
  }
  if (r.rotation.error) out.push(`secret rotation not measured: ${r.rotation.error}`);
  return out;
}

const label = (run: DeployTransitions) => `${run.strategy}${run.scanGate ? " + scan gate" : ""}`;
const yes = (met: boolean | null) => (met === null ? "—" : met ? "yes" : "NO");
const thousands = (n: number) => n.toLocaleString("en-US");

function table(r: BenchReport): string {
  const l = r.rollbackLatency;
  const t = r.replayThroughput;
  const rows: [string, string, string, string][] = [
    [
      "rollback latency p50 / p99 / max",
      `${l.p50} / ${l.p99} / ${l.max} ms (${l.iterations} alarms, after ${l.warmup} warm-up)`,
      l.target ?? "—",
      yes(l.met),
    ],
    ["replay throughput", `${t.eventsPerSecond} events/s (${t.events} events in ${t.seconds} s)`, "—", "—"],
  ];
  for (const f of r.bundles.functions) {
    rows.push([
      `bundle ${f.name}`,
      `${thousands(f.bytes)} bytes (AWS SDK ${thousands(f.awsSdkBytes)})`,
      `≤ ${thousands(TARGETS.bundleBytes)} bytes`,
      yes(f.bytes <= TARGETS.bundleBytes),
    ]);
  }
  for (const f of r.bundles.functions) {
    rows.push([
      `cold import ${f.name}`,
      f.importError
        ? `failed: ${f.importError}`
        : `+${f.coldImportMs} ms (${f.processMs} vs bare node ${f.bareNodeMs} ms)`,
      "—",
      "—",
    ]);
  }
  rows.push(
    [
      `EventBridge rules, 1 / ${r.rules.deployments} deployments`,
      `${r.rules.oneDeployment} / ${r.rules.manyDeployments}`,
      `≤ ${TARGETS.rules}, equal`,
      yes(r.rules.met),
    ],
    ["matchesPattern", `${r.rules.nsPerMatch} ns/match (${thousands(r.rules.matches)} matches)`, "—", "—"],
  );
  for (const run of r.transitions.runs) {
    const canary = run.strategy.startsWith("Canary");
    rows.push([
      `state transitions, ${label(run)}`,
      `${run.transitions} (${run.outcome})`,
      canary ? `≤ ${TARGETS.canaryTransitions}` : "—",
      canary ? yes(run.transitions <= TARGETS.canaryTransitions && run.outcome === "deployed") : "—",
    ]);
  }
  for (const run of r.rotation.runs) {
    rows.push([
      `rotation ${run.rotator}`,
      `${run.wallMs} ms; ${run.secretsManagerCalls} Secrets Manager calls, ${run.databaseLogins} database logins, ${run.databaseStatements} statements`,
      "—",
      "—",
    ]);
  }
  for (const run of r.failover.runs) {
    rows.push([
      `state transitions, failover: ${run.run}`,
      `${run.transitions} (${run.lambdaInvocations} Lambda invocations; ${run.status})`,
      "—",
      "—",
    ]);
  }
  const header: [string, string, string, string] = ["metric", "value", "target", "met"];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]?.length ?? 0)));
  const line = (cells: readonly string[]) =>
    cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0))).join("  ");
  const out = [
    `switchyard bench (${r.mode}, Node ${r.node}, ${r.cpus} CPUs; AWS SDK v3 ${r.bundles.awsSdk}, cold imports: median of ${r.bundles.runs})`,
    "",
    line(header),
    line(widths.map((w) => "-".repeat(w))),
    ...rows.map(line),
  ];
  out.push("", `rollback calls before its UpdateAlias: ${l.path.join(" → ")}`);
  if (r.notes.length > 0) out.push("", "notes:", ...r.notes.map((n) => `  - ${n}`));
  return `${out.join("\n")}\n`;
}
