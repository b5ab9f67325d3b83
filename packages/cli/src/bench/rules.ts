import { performance } from "node:perf_hooks";
import { matchesPattern } from "@switchyard/core/events/pattern";
import { rules } from "@switchyard/core/wiring";
import { startControlPlane } from "../local/control-plane.ts";
import {
  alarmStateChange,
  digestOf,
  executionSucceeded,
  imageDelete,
  imagePush,
  imageScan,
} from "./events.ts";
import { round } from "./stats.ts";
import { ALARM, benchConfig, deployment, REPOSITORY, TAG } from "./world.ts";

export interface RuleCount {
  unit: "rules";
  /** Rules the control plane puts on the bus for a config of 1 and of 500 deployments. */
  oneDeployment: number;
  manyDeployments: number;
  deployments: number;
  /** Mean time of one `matchesPattern` of one rule against one event. */
  nsPerMatch: number;
  matches: number;
}

const MANY = 500;

/**
 * Counts the rules the local control plane installs from core's wiring for each config (the
 * very rules `stacks/` deploys), then times matching every rule against a mix of events.
 */
export async function measureRules(matchRounds: number): Promise<RuleCount> {
  const [oneDeployment, manyDeployments] = [await installedRules(1), await installedRules(MANY)];
  const time = "2019-11-16T01:54:34Z";
  const events = [
    imagePush(REPOSITORY, TAG, digestOf(1), time),
    imageScan(REPOSITORY, digestOf(1), { LOW: 3 }, time),
    alarmStateChange(ALARM, "ALARM", time),
    alarmStateChange(ALARM, "OK", time),
    imageDelete(REPOSITORY, TAG, digestOf(1), time),
    executionSucceeded(time),
  ];
  const matchAll = (rounds: number) => {
    let matched = 0;
    for (let i = 0; i < rounds; i++) {
      for (const event of events)
        for (const rule of rules) if (matchesPattern(rule.pattern, event)) matched++;
    }
    return matched;
  };
  // Untimed rounds first, so the patterns are compiled and the matcher optimised, as in a warm bus.
  matchAll(Math.ceil(matchRounds / 10));
  const start = performance.now();
  const matched = matchAll(matchRounds);
  const elapsedMs = performance.now() - start;
  const matches = matchRounds * events.length * rules.length;
  // Three of every six events match: the push and the scan one rule each, the alarm going to
  // ALARM two (rollback and failover). A count that says the loop really matched.
  if (matched !== matchRounds * 4)
    throw new Error(`bench: expected ${matchRounds * 4} matches, got ${matched}`);
  return {
    unit: "rules",
    oneDeployment,
    manyDeployments,
    deployments: MANY,
    nsPerMatch: round((elapsedMs * 1e6) / matches, 1),
    matches,
  };
}

async function installedRules(deployments: number): Promise<number> {
  const plane = await startControlPlane(
    benchConfig(Array.from({ length: deployments }, (_, n) => deployment(n))),
  );
  try {
    return plane.account.events.rules().length;
  } finally {
    await plane.close();
  }
}
