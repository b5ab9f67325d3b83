import * as z from "zod";
import { ACTION_TYPES } from "./action-types.ts";

/**
 * The cost-response state machine's input. Self-contained: the anomaly as it was judged, the
 * rule and tier that judged it, the actions of that tier with their settings, the guards
 * (protected tags, dry-run, action limit) and the timers. A console replay of the same input
 * finds the response record: what was applied already is not applied twice, and an ended
 * response is not reopened.
 */
export const CostResponseInput = z.looseObject({
  anomalyId: z.string().min(1),
  anomaly: z.looseObject({
    anomalyId: z.string().min(1),
    impact: z.looseObject({ totalImpact: z.number(), maxImpact: z.number() }),
    rootCauses: z.array(z.looseObject({})),
  }),
  rule: z.string().min(1),
  tier: z.string().min(1),
  rank: z.number().int().min(0),
  actions: z.array(z.looseObject({ type: z.enum(ACTION_TYPES) })).min(1),
  /** "start" for the first delivery; a repeat answers the waiting execution with "escalate" or "resolved". */
  signal: z.enum(["start", "escalate", "resolved"]),
  approvalTimeoutSeconds: z.number().int().positive(),
  ttlSeconds: z.number().int().positive(),
  dryRun: z.boolean(),
  protectedTags: z.array(z.object({ key: z.string(), values: z.array(z.string()).optional() })),
  actionLimit: z.object({ max: z.number().int().positive(), windowSeconds: z.number().int().positive() }),
  notifyTopicArn: z.string().nullable(),
  webhookUrl: z.string().nullable(),
  account: z.string(),
  region: z.string(),
  trigger: z.object({ eventId: z.string().min(1), via: z.enum(["eventbridge", "sns"]) }),
  correlationId: z.string().min(1),
});
export type CostResponseInput = z.infer<typeof CostResponseInput>;

/** What each cost-steps invocation receives from the state machine. */
export const CostStepPayload = z.object({
  action: z.string(),
  input: z.unknown(),
  execution: z.string().min(1),
  taskToken: z.string().optional(),
});
export type CostStepPayload = z.infer<typeof CostStepPayload>;
