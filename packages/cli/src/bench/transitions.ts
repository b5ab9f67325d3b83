import type { StrategyInput } from "@switchyard/core/config/index";
import { replay } from "../replay.ts";
import { digestOf, imagePush, imageScan } from "./events.ts";
import { benchConfig, deployment, REPOSITORY, TAG } from "./world.ts";

export interface DeployTransitions {
  unit: "transitions";
  strategy: string;
  scanGate: boolean;
  transitions: number;
  /** How the execution ended: a count means something only for a deploy that ran to the end. */
  outcome: string;
}

const RUNS: readonly { strategy: StrategyInput; scanGate: boolean }[] = [
  { strategy: "Canary10Percent5Minutes", scanGate: true },
  { strategy: "Canary10Percent5Minutes", scanGate: false },
  { strategy: "Linear10PercentEvery1Minute", scanGate: false },
];

/** State transitions (states entered, as Step Functions bills them) of deploys run to completion. */
export async function measureTransitions(): Promise<DeployTransitions[]> {
  const out: DeployTransitions[] = [];
  for (const run of RUNS) {
    const config = benchConfig([deployment(0, run)]);
    const time = "2019-11-16T01:54:34Z";
    const digest = digestOf(1);
    const events = [
      imagePush(REPOSITORY, TAG, digest, time),
      ...(run.scanGate ? [imageScan(REPOSITORY, digest, { LOW: 3, INFORMATIONAL: 1 }, time)] : []),
    ];
    const report = await replay(config, events);
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
    });
  }
  return out;
}
