import { performance } from "node:perf_hooks";
import { fleet } from "@switchyard/core/config/fleet";
import { planStack, type StackPlan, StackPlanError } from "../../../../stacks/plan.ts";
import { median, round } from "./stats.ts";

export interface PolicyScale {
  unit: "managed policies per role";
  /** At each fleet size: the most managed policies any one role needs attached, and plan time. */
  sizes: {
    deployments: number;
    /** Attached to the role that needs most, SST's AWSLambdaBasicExecutionRole included. */
    maxPerRole: number;
    role: string;
    /** Median wall time of `planStack` for the fleet. */
    planMs: number;
    /** The plan's own refusal (over the quota it was given), if any. */
    refused?: string;
  }[];
}

const SIZES = [1, 500, 2_000] as const;

/** Plans the stack for 1, 500 and 2,000 deployments, under IAM's raised maximum quota so a plan is drawn. */
export function measurePolicies(runs: number): PolicyScale {
  return {
    unit: "managed policies per role",
    sizes: SIZES.map((deployments) => {
      const input = fleet(deployments);
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
        ...plan.functions.map((f) => ({
          role: `${f.name} function`,
          attached: f.managedPolicies.length + 1,
        })),
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
    }),
  };
}
