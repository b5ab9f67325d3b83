import type { StrategyInput } from "@switchyard/core/config/index";
import { replay } from "../replay.ts";
import { seedHookFunctions } from "../scenarios/deploy-hooks.ts";
import { digestOf, imagePush, imageScan } from "./events.ts";
import { benchConfig, deployment, REPOSITORY, TAG } from "./world.ts";

export interface DeployTransitions {
  unit: "transitions";
  strategy: string;
  scanGate: boolean;
  transitions: number;
  /** How the execution ended: a count means something only for a deploy that ran to the end. */
  outcome: string;
  /** The deployment features the run adds to the plain strategy (none: the target applies). */
  features: string[];
  /**
   * Step Functions' budget: a Standard execution's history holds at most 25,000 events; each
   * state entered without a retry writes at most 5 (a Task: entered, scheduled, started,
   * succeeded, exited), plus the execution's start and end, so 5 × transitions + 2 bounds it.
   * Standard workflows bill $0.025 per 1,000 state transitions.
   * https://docs.aws.amazon.com/step-functions/latest/dg/service-quotas.html
   * https://aws.amazon.com/step-functions/pricing/
   */
  historyEventsAtMost: number;
  usdPer1000Deploys: number;
}

/** The history events quota of one Standard execution. */
export const HISTORY_EVENTS_QUOTA = 25_000;

/** Analysis (error rate and p99 of the new version) and its version alarm, as examples/gitops-canary has them. */
const ANALYSIS = {
  analysis: {
    metrics: [
      { name: "error-rate", kind: "errorRate", max: 0.02 },
      { name: "p99-duration", kind: "p99Duration", max: 800 },
    ],
  },
  versionAlarms: [{ name: "errors", metric: "Errors", threshold: 25 }],
};
/** Pre- and post-traffic Lambda hooks, as examples/traffic-hooks has them (both report Succeeded). */
const HOOKS = {
  hooks: {
    beforeAllowTraffic: [{ lambda: { function: "api-smoke-test", timeout: "5m" } }],
    afterAllowTraffic: [{ lambda: { function: "api-post-traffic-check", timeout: "5m" } }],
  },
};

const RUNS: readonly {
  strategy: StrategyInput;
  scanGate: boolean;
  features?: ("analysis" | "hooks")[];
}[] = [
  { strategy: "Canary10Percent5Minutes", scanGate: true },
  { strategy: "Canary10Percent5Minutes", scanGate: false },
  { strategy: "Linear10PercentEvery1Minute", scanGate: false },
  { strategy: "Canary10Percent5Minutes", scanGate: false, features: ["analysis", "hooks"] },
  { strategy: "Linear10PercentEvery1Minute", scanGate: false, features: ["analysis"] },
];

/** State transitions (states entered, as Step Functions bills them) of deploys run to completion. */
export async function measureTransitions(): Promise<DeployTransitions[]> {
  const out: DeployTransitions[] = [];
  for (const run of RUNS) {
    const features = run.features ?? [];
    const fields = {
      ...(features.includes("analysis") ? ANALYSIS : {}),
      ...(features.includes("hooks") ? HOOKS : {}),
    };
    const config = benchConfig([deployment(0, { strategy: run.strategy, scanGate: run.scanGate, fields })]);
    const time = "2019-11-16T01:54:34Z";
    const digest = digestOf(1);
    const events = [
      imagePush(REPOSITORY, TAG, digest, time),
      ...(run.scanGate ? [imageScan(REPOSITORY, digest, { LOW: 3, INFORMATIONAL: 1 }, time)] : []),
    ];
    const report = await replay(config, events, {
      prepare: (plane) =>
        seedHookFunctions(plane, { "api-smoke-test": "Succeeded", "api-post-traffic-check": "Succeeded" }),
    });
    const [execution] = report.executions;
    if (!execution || report.executions.length !== 1) {
      throw new Error(`bench: expected one deploy execution, got ${report.executions.length}`);
    }
    out.push({
      unit: "transitions",
      strategy: String(run.strategy),
      scanGate: run.scanGate,
      transitions: execution.transitions,
      outcome: execution.outcome,
      features,
      historyEventsAtMost: 5 * execution.transitions + 2,
      usdPer1000Deploys: Math.round(execution.transitions * 0.025 * 1000) / 1000,
    });
  }
  return out;
}
