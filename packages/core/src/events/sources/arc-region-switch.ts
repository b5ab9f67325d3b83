import * as z from "zod";
import { name, RegionCode, text } from "../bounds.ts";

/**
 * "ARC Region Switch Plan Execution" events of source `aws.arc-region-switch`
 * (https://docs.aws.amazon.com/eventbridge/latest/ref/events-ref-arc-region-switch.html,
 * https://docs.aws.amazon.com/r53recovery/latest/dg/eventbridge-region-switch.html).
 * No sample event could be read, so no detail field is required: the ones named here are the Region switch
 * API's names for a plan execution (AbbreviatedExecution, ExecutionEvent in
 * https://docs.aws.amazon.com/arc-region-switch/latest/api/), bounded where present, and the rest is kept.
 * test/fixtures/aws/arc-region-switch/README.md says the fixtures are invented.
 */
export const REGION_SWITCH_SOURCE = "aws.arc-region-switch";
export const PLAN_EXECUTION = "ARC Region Switch Plan Execution";

export const RegionSwitchPlanExecutionDetail = z.looseObject({
  // arn:aws[a-zA-Z-]*:arc-region-switch::[0-9]{12}:plan/<name ≤ 32>:<6 chars> (API_Plan.html).
  planArn: text(2048)
    .regex(/^arn:aws[a-zA-Z-]*:arc-region-switch::\d{12}:plan\//, "expected a Region switch plan ARN")
    .optional(),
  executionId: name(256).optional(),
  executionAction: z.enum(["activate", "deactivate", "postRecovery"]).optional(),
  executionState: name(64).optional(),
  executionRegion: RegionCode.optional(),
  mode: z.enum(["graceful", "ungraceful"]).optional(),
  version: text(64).optional(),
  error: text(4096).optional(),
});
export type RegionSwitchPlanExecutionDetail = z.infer<typeof RegionSwitchPlanExecutionDetail>;

/** Where a plan execution stands, from its state (API_AbbreviatedExecution.html's executionState values). */
export function executionPhase(state: string | undefined): "started" | "completed" | "failed" | "other" {
  switch (state) {
    case "pending":
    case "inProgress":
      return "started";
    case "completed":
    case "completedWithExceptions":
    case "completedMonitoringApplicationHealth":
      return "completed";
    case "failed":
    case "canceled":
    case "planExecutionTimedOut":
    case "pausedByFailedStep":
      return "failed";
    default:
      return "other";
  }
}
