import { cpus } from "node:os";
import { type Bundles, measureBundles } from "./bench/bundles.ts";
import { type ConfigLoad, measureConfigLoad } from "./bench/config-load.ts";
import { type FailoverTransitions, measureFailoverTransitions } from "./bench/failover.ts";
import { measurePolicies, type PolicyScale } from "./bench/policies.ts";
import { measureRollbackLatency, type RollbackLatency } from "./bench/rollback.ts";
import { measureRotation, type RotationRun } from "./bench/rotation.ts";
import { measureRules, type RuleCount } from "./bench/rules.ts";
import { round } from "./bench/stats.ts";
import {
  measureNoMatchThroughput,
  measureReplayThroughput,
  type NoMatchThroughput,
  type ReplayThroughput,
} from "./bench/throughput.ts";
import { type DeployTransitions, HISTORY_EVENTS_QUOTA, measureTransitions } from "./bench/transitions.ts";

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
  /** `floor`: what the stream would reach if its AWS calls were all it cost (see `replayFloor`). */
  replayThroughput: ReplayThroughput & { floor: { eventsPerSecond: number; ratio: number } } & Target;
  /** Events no rule matches, through the streaming replay. */
  noMatchThroughput: NoMatchThroughput & Target;
  bundles: Bundles & Target;
  /**
   * Cold import of the rollback handler's bundle over bare Node, timed alternately with its floor
   * (the same libraries, none of Switchyard's code: `ImportFloor`) and bare Node.
   */
  rollbackColdImport: { ms: number; floorMs: number; pathFloorMs: number; ratio: number } & Target;
  /** The config a cold function reads on its first invocation: prepared (what it reads) vs parsed with zod. */
  configLoad: ConfigLoad & Target;
  /** Managed policies per role and plan time at 1, 500 and 2,000 deployments. */
  policies: PolicyScale & Target;
  rules: RuleCount & Target;
  transitions: { runs: DeployTransitions[] } & Target;
  /** A full PostgreSQL credential rotation; `error` when it could not run (no PostgreSQL installed). */
  rotation: { runs: RotationRun[]; error?: string } & Target;
  /** State transitions per failover run of the Ignition example. */
  failover: { runs: FailoverTransitions[] } & Target;
  /** One line per missed target or failed check, saying what was seen. */
  notes: string[];
  /** The targets this run missed, by name: what `--check` exits 1 for. */
  missed: string[];
}

/** How much each part measures: the quick mode only proves the bench runs and reports. */
const SIZES = {
  full: {
    rollbackIterations: 200,
    rollbackWarmup: 10,
    replayCycles: 50,
    noMatchEvents: 20_000,
    importRuns: 5,
    matchRounds: 50_000,
    planRuns: 3,
  },
  quick: {
    rollbackIterations: 5,
    rollbackWarmup: 1,
    replayCycles: 2,
    noMatchEvents: 200,
    importRuns: 1,
    matchRounds: 1_000,
    planRuns: 1,
  },
} as const;

/** Issue #14's targets. */
const TARGETS = {
  rollbackP50Ms: 2,
  rollbackP99Ms: 10,
  replayMixedPerSecond: 1_000,
  replayNoMatchPerSecond: 20_000,
  rollbackColdImportMs: 60,
  policiesPerRole: 10,
  policyDeployments: 2_000,
  /** A lookup at 2,000 deployments over one at 1: O(1) reads ≈ 1, and 2 leaves room for noise. */
  lookupRatio: 2,
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
  /** Exit 1, naming each missed target on stderr, when a target is missed. */
  check?: boolean;
  write?: (s: string) => void;
  writeError?: (s: string) => void;
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
  progress("replay throughput, events no rule matches");
  const noMatch = await measureNoMatchThroughput(size.noMatchEvents);
  progress("bundles and cold imports");
  const bundles = await measureBundles(size.importRuns, latency.path);
  progress("config load on a cold function's first invocation");
  const configLoad = measureConfigLoad(size.planRuns);
  progress("EventBridge rules");
  const rules = await measureRules(size.matchRounds);
  progress("IAM policies at 1, 500 and 2,000 deployments");
  const policies = measurePolicies(size.planRuns);
  progress("state transitions");
  const runs = await measureTransitions();
  progress("secret rotation against PostgreSQL");
  const rotation = await measureRotation().then(
    (rotationRuns) => ({ runs: rotationRuns }),
    (error: Error) => ({ runs: [] as RotationRun[], error: error.message }),
  );

  progress("failover state transitions");
  const failoverRuns = await measureFailoverTransitions();

  const canaries = runs.filter((r) => r.strategy.startsWith("Canary") && r.features.length === 0);
  const rollbackBundle = bundles.functions.find((f) => f.name === "rollback");
  const atScale = policies.sizes.find((p) => p.deployments === TARGETS.policyDeployments);
  const report: BenchReport = {
    mode,
    node: process.version,
    cpus: cpus().length,
    rollbackLatency: {
      ...latency,
      target: `p50 ≤ ${TARGETS.rollbackP50Ms} ms, p99 ≤ ${TARGETS.rollbackP99Ms} ms`,
      met: latency.p50 <= TARGETS.rollbackP50Ms && latency.p99 <= TARGETS.rollbackP99Ms,
    },
    replayThroughput: {
      ...throughput,
      floor: replayFloor(throughput, latency.floor),
      target: `≥ ${thousands(TARGETS.replayMixedPerSecond)} events/s`,
      met: throughput.eventsPerSecond >= TARGETS.replayMixedPerSecond,
    },
    noMatchThroughput: {
      ...noMatch,
      target: `≥ ${thousands(TARGETS.replayNoMatchPerSecond)} events/s`,
      met: noMatch.eventsPerSecond >= TARGETS.replayNoMatchPerSecond && noMatch.ignored === noMatch.events,
    },
    rollbackColdImport: {
      ms: bundles.rollbackFloor.handlerMs,
      floorMs: bundles.rollbackFloor.floorMs,
      pathFloorMs: bundles.rollbackFloor.path.ms,
      ratio: bundles.rollbackFloor.ratio,
      target: `≤ +${TARGETS.rollbackColdImportMs} ms over bare Node`,
      met:
        rollbackBundle !== undefined &&
        !rollbackBundle.importError &&
        bundles.rollbackFloor.handlerMs <= TARGETS.rollbackColdImportMs,
    },
    configLoad: { ...configLoad, target: null, met: null },
    policies: {
      ...policies,
      target: `≤ ${TARGETS.policiesPerRole} per role at ${thousands(TARGETS.policyDeployments)} deployments`,
      met: atScale !== undefined && atScale.maxPerRole <= TARGETS.policiesPerRole,
    },
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
    missed: [],
  };
  report.notes = notes(report);
  report.missed = missed(report);
  write(options.json ? `${JSON.stringify(report, null, 2)}\n` : table(report));
  if (!options.check) return 0;
  const writeError = options.writeError ?? ((s: string) => process.stderr.write(s));
  for (const m of report.missed) writeError(`bench: missed target: ${m}\n`);
  return report.missed.length > 0 ? 1 : 0;
}

/**
 * What the mixed stream would reach if its AWS calls were all it cost: each DynamoDB call at the
 * bare GetItem p50 and every other call at the bare UpdateAlias p50 measured in the same run.
 */
function replayFloor(
  t: ReplayThroughput,
  floor: RollbackLatency["floor"],
): { eventsPerSecond: number; ratio: number } {
  const seconds = (t.calls.dynamodb * floor.getItemP50 + t.calls.other * floor.updateAliasP50) / 1000;
  if (seconds <= 0) return { eventsPerSecond: 0, ratio: 0 };
  return { eventsPerSecond: round(t.events / seconds, 0), ratio: round(t.seconds / seconds, 1) };
}

/** One line per target this run missed, naming the target and what was seen. */
function missed(r: BenchReport): string[] {
  const out: string[] = [];
  const l = r.rollbackLatency;
  if (l.p50 > TARGETS.rollbackP50Ms) out.push(`rollback p50 ${l.p50} ms > ${TARGETS.rollbackP50Ms} ms`);
  if (l.p99 > TARGETS.rollbackP99Ms) out.push(`rollback p99 ${l.p99} ms > ${TARGETS.rollbackP99Ms} ms`);
  if (!r.replayThroughput.met)
    out.push(
      `replay (mixed stream) ${r.replayThroughput.eventsPerSecond} events/s < ${TARGETS.replayMixedPerSecond}`,
    );
  if (!r.noMatchThroughput.met)
    out.push(
      `replay (no rule matches) ${r.noMatchThroughput.eventsPerSecond} events/s < ${TARGETS.replayNoMatchPerSecond}` +
        (r.noMatchThroughput.ignored === r.noMatchThroughput.events
          ? ""
          : ` (${r.noMatchThroughput.events - r.noMatchThroughput.ignored} events were not ignored)`),
    );
  for (const f of r.bundles.functions)
    if (f.bytes > TARGETS.bundleBytes) out.push(`bundle ${f.name} ${f.bytes} bytes > ${TARGETS.bundleBytes}`);
  if (!r.rollbackColdImport.met)
    out.push(
      `rollback cold import +${r.rollbackColdImport.ms} ms > +${TARGETS.rollbackColdImportMs} ms over bare Node ` +
        `(its libraries alone: +${r.rollbackColdImport.floorMs} ms; those of its path to UpdateAlias: +${r.rollbackColdImport.pathFloorMs} ms)`,
    );
  const atScale = r.policies.sizes.find((p) => p.deployments === TARGETS.policyDeployments);
  if (!r.policies.met)
    out.push(
      `IAM at ${TARGETS.policyDeployments} deployments: ${atScale?.maxPerRole} managed policies on the ${atScale?.role}'s role > ${TARGETS.policiesPerRole}`,
    );
  if (r.policies.lookups.ratio > TARGETS.lookupRatio)
    out.push(
      `config lookups at 2,000 deployments take ${r.policies.lookups.ratio}× those at 1 > ${TARGETS.lookupRatio}×`,
    );
  if (!r.rules.met) out.push("EventBridge rules grow with the deployments or exceed 20");
  if (!r.transitions.met)
    out.push(`the one-step canary takes more than ${TARGETS.canaryTransitions} transitions`);
  return out;
}

function notes(r: BenchReport): string[] {
  const out: string[] = [];
  if (r.rollbackLatency.p99 > TARGETS.rollbackP99Ms)
    out.push(`rollback latency p99 ${r.rollbackLatency.p99} ms is over ${TARGETS.rollbackP99Ms} ms`);
  if (r.rollbackLatency.p50 > TARGETS.rollbackP50Ms)
    out.push(`rollback latency p50 ${r.rollbackLatency.p50} ms is over ${TARGETS.rollbackP50Ms} ms`);
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
    else if (
      run.features.length === 0 &&
      run.strategy.startsWith("Canary") &&
      run.transitions > TARGETS.canaryTransitions
    )
      out.push(`the ${label(run)} deploy took ${run.transitions} transitions`);
  }
  if (r.rotation.error) out.push(`secret rotation not measured: ${r.rotation.error}`);
  return out;
}

const label = (run: DeployTransitions) =>
  `${run.strategy}${run.scanGate ? " + scan gate" : ""}${run.features.map((f) => ` + ${f}`).join("")}`;
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
    [
      "rollback floor: bare UpdateAlias + bare GetItem p50",
      `${l.floor.updateAliasP50} + ${l.floor.getItemP50} ms; rollback p50 is ${l.ratio}× the floor`,
      "—",
      "—",
    ],
    [
      "replay throughput",
      `${t.eventsPerSecond} events/s (${t.events} events in ${t.seconds} s)`,
      t.target ?? "—",
      yes(t.met),
    ],
    [
      "replay floor: the stream's AWS calls at the bare-call p50s",
      `${t.calls.dynamodb} DynamoDB + ${t.calls.other} other calls: ${t.floor.eventsPerSecond} events/s; replay takes ${t.floor.ratio}× the floor`,
      "—",
      "—",
    ],
    [
      "replay throughput, no rule matches",
      `${r.noMatchThroughput.eventsPerSecond} events/s (${r.noMatchThroughput.events} events in ${r.noMatchThroughput.seconds} s)`,
      r.noMatchThroughput.target ?? "—",
      yes(r.noMatchThroughput.met),
    ],
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
  const c = r.rollbackColdImport;
  rows.push(
    [
      "cold import rollback over bare Node",
      `+${c.ms} ms (${r.bundles.runs * 3} imports alternating with its floor's and bare Node)`,
      c.target ?? "—",
      yes(c.met),
    ],
    [
      "rollback cold-import floor: its libraries, no Switchyard code",
      `+${c.floorMs} ms (${thousands(r.bundles.rollbackFloor.floorBytes)} bytes: ${r.bundles.rollbackFloor.packages.join(", ")}); rollback is ${c.ratio}× the floor`,
      "—",
      "—",
    ],
    [
      "rollback cold-import floor of its path to UpdateAlias",
      `+${c.pathFloorMs} ms (${thousands(r.bundles.rollbackFloor.path.bytes)} bytes: ${r.bundles.rollbackFloor.path.packages.join(", ")}; for ${r.bundles.rollbackFloor.path.calls.join(", ")})`,
      "—",
      "—",
    ],
  );
  const cold = r.bundles.rollbackColdStart;
  rows.push([
    "cold rollback: import, then first invocation → first AWS request",
    `${cold.importMs} ms + ${cold.firstRequestMs} ms; a lone GetAlias on a new client: ${cold.floorFirstRequestMs} ms (${cold.ratio}×); ${cold.runs} processes each`,
    "—",
    "—",
  ]);
  for (const load of r.configLoad.sizes)
    rows.push([
      `config load on a first invocation, ${thousands(load.deployments)} deployment(s)`,
      `prepared ${load.preparedMs} ms; parsed with zod ${load.parsedMs} ms (${load.ratio}×); ${thousands(load.bytes)} bytes`,
      "—",
      "—",
    ]);
  r.policies.sizes.forEach((p, i) => {
    const atTarget = p.deployments === TARGETS.policyDeployments;
    const exact = r.policies.exact[i];
    rows.push([
      `IAM managed policies per role, ${thousands(p.deployments)} deployments`,
      `${p.maxPerRole} (${p.role}); planned in ${p.planMs} ms` +
        (exact ? `; ARN by ARN: ${exact.maxPerRole} (${exact.role})` : ""),
      atTarget ? `≤ ${TARGETS.policiesPerRole}` : "—",
      atTarget ? yes(p.maxPerRole <= TARGETS.policiesPerRole) : "—",
    ]);
  });
  const { lookups } = r.policies;
  rows.push([
    "config lookup (push, alarm, GitHub, runbook), 1 / 2,000 deployments",
    `${lookups.nsAt1} / ${lookups.nsAt2000} ns; ratio ${lookups.ratio}`,
    `ratio ≤ ${TARGETS.lookupRatio}`,
    yes(lookups.ratio <= TARGETS.lookupRatio),
  ]);
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
    const canary = run.strategy.startsWith("Canary") && run.features.length === 0;
    rows.push(
      [
        `state transitions, ${label(run)}`,
        `${run.transitions} (${run.outcome})`,
        canary ? `≤ ${TARGETS.canaryTransitions}` : "—",
        canary ? yes(run.transitions <= TARGETS.canaryTransitions && run.outcome === "deployed") : "—",
      ],
      [
        `Step Functions budget, ${label(run)}`,
        `≤ ${thousands(run.historyEventsAtMost)} history events; $${run.usdPer1000Deploys.toFixed(3)} per 1,000 deploys`,
        `≤ ${thousands(HISTORY_EVENTS_QUOTA)} history events`,
        yes(run.historyEventsAtMost <= HISTORY_EVENTS_QUOTA),
      ],
    );
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
  if (r.missed.length > 0) out.push("", "missed targets:", ...r.missed.map((m) => `  - ${m}`));
  return `${out.join("\n")}\n`;
}
