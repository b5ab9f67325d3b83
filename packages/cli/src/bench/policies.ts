import { performance } from "node:perf_hooks";
import { fleet } from "@switchyard/core/config/fleet";
import { planStack, type StackPlan, StackPlanError } from "../../../../stacks/plan.ts";
import { type ConfigInput, parseConfig } from "../../../core/src/config/index.ts";
import { configIndex } from "../../../core/src/config/lookup.ts";
import { median, round } from "./stats.ts";

interface PlanAtSize {
  deployments: number;
  /** Attached to the role that needs most, SST's AWSLambdaBasicExecutionRole included. */
  maxPerRole: number;
  role: string;
  /** Median wall time of `planStack` for the fleet. */
  planMs: number;
  /** The plan's own refusal (over the quota it was given), if any. */
  refused?: string;
}

export interface PolicyScale {
  unit: "managed policies per role";
  /**
   * At each fleet size, with the fleet's name prefixes declared (`iam`, docs/decisions/0024-iam-at-scale.md):
   * the most managed policies any one role needs attached, and plan time.
   */
  sizes: PlanAtSize[];
  /** The same fleets granted ARN by ARN (no prefixes declared): what a config without `iam` needs. */
  exact: PlanAtSize[];
  /**
   * One trigger, alarm and runbook lookup through the config's index, at 1 and 2,000 deployments:
   * median nanoseconds per lookup and their ratio (≈ 1 when lookups are O(1) in deployments).
   */
  lookups: { nsAt1: number; nsAt2000: number; ratio: number };
}

const SIZES = [1, 500, 2_000] as const;

/** The invented fleet, with the start its function and repository names share declared when `prefixes`. */
export function fleetOf(size: number, prefixes = false): ConfigInput {
  return fleet(
    size,
    prefixes ? { iam: { functionPrefixes: ["svc-"], repositoryPrefixes: ["platform/svc-"] } } : {},
  );
}

/** Plans `input` `runs` times under IAM's raised maximum quota (so a plan is drawn even when it is over). */
function planAt(deployments: number, input: ConfigInput, runs: number): PlanAtSize {
  const times: number[] = [];
  let plan: StackPlan | undefined;
  let refused: string | undefined;
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    try {
      plan = planStack(input, { stage: "production", managedPoliciesPerRole: 20 });
    } catch (error) {
      if (!(error instanceof StackPlanError) || !error.plan) throw error;
      plan = error.plan;
      refused = error.problems[0];
    }
    times.push(performance.now() - start);
  }
  if (!plan) throw new Error("bench: no stack plan drawn");
  const roles = [
    ...plan.functions.map((f) => ({ role: `${f.name} function`, attached: f.managedPolicies.length + 1 })),
    ...plan.stateMachines.map((sm) => ({
      role: `${sm.name} state machine`,
      attached: sm.role.managedPolicies.length,
    })),
  ].sort((a, b) => b.attached - a.attached);
  const top = roles[0] ?? { role: "none", attached: 0 };
  return {
    deployments,
    maxPerRole: top.attached,
    role: top.role,
    planMs: round(median(times), 1),
    ...(refused ? { refused } : {}),
  };
}

/** Median nanoseconds of one push, alarm and GitHub lookup of the last deployment, over `rounds`. */
function lookupNs(size: number, rounds: number): number {
  const index = configIndex(parseConfig(fleet(size)));
  const last = size - 1;
  const samples: number[] = [];
  let found = 0;
  for (let r = 0; r < 5; r++) {
    const start = performance.now();
    for (let i = 0; i < rounds; i++)
      found +=
        index.imagePush(`platform/svc-${last}`, "release").length +
        index.guardedBy(`svc-${last}-latency`).length +
        index.githubRepository("acme/none").length +
        index.runbooksTriggeredBy(`svc-${last}-errors`).length;
    samples.push(((performance.now() - start) * 1e6) / rounds);
  }
  if (found !== 2 * 5 * rounds) throw new Error("bench: a lookup missed its deployment");
  return median(samples);
}

/** Plans the stack for 1, 500 and 2,000 deployments with and without prefixes, and times the config's lookups. */
export function measurePolicies(runs: number, lookupRounds = 100_000): PolicyScale {
  const nsAt1 = lookupNs(1, lookupRounds);
  const nsAt2000 = lookupNs(2_000, lookupRounds);
  return {
    unit: "managed policies per role",
    sizes: SIZES.map((size) => planAt(size, fleetOf(size, true), runs)),
    exact: SIZES.map((size) => planAt(size, fleet(size), runs)),
    lookups: { nsAt1: round(nsAt1, 1), nsAt2000: round(nsAt2000, 1), ratio: round(nsAt2000 / nsAt1, 2) },
  };
}
