import * as z from "zod";
import { SCAN_SEVERITIES, SUPPRESSED_ALARM_POLICIES } from "./vocabulary.ts";

/**
 * The deploy state machine's input. Self-contained: it names the function, the image by
 * digest, the version the alias served when the deployment was decided (the precondition
 * every write checks), the steps, the alarms, the gate and why it started. A console replay
 * of the same input does the same thing; after newer work it ends as stale.
 */
export const DeployInput = z.looseObject({
  deployment: z.string().min(1),
  functionName: z.string().min(1),
  alias: z.string().min(1),
  imageUri: z.string().regex(/@sha256:[0-9a-zA-Z]+$/, "imageUri must pin the image by digest (…@sha256:…)"),
  image: z.object({
    repository: z.string().min(1),
    tag: z.string().optional(),
    digest: z.string().startsWith("sha256:"),
  }),
  stableVersion: z.string().regex(/^\d+$/, "stableVersion must be a published version number"),
  /**
   * The deployment record's generation when the trigger decided (the fence): the claim
   * succeeds only while the record still carries it, and sets it + 1 for this execution.
   */
  generation: z.number().int().min(0),
  steps: z
    .array(z.object({ weight: z.number().gt(0).lte(1), pauseSeconds: z.number().int().min(0) }))
    .min(1)
    .refine((steps) => steps.at(-1)?.weight === 1, "the last step must shift 100% (weight 1)"),
  alarms: z.array(z.string().min(1)),
  /**
   * What a guarding alarm in ALARM does between steps while its actions are suppressed (the
   * deployment's `suppressedAlarms`, ADR 0014/0020). In the input, so a console replay carries
   * the policy it was decided under; inputs made before it existed read as "rollback".
   */
  suppressedAlarms: z.enum(SUPPRESSED_ALARM_POLICIES).default("rollback"),
  scanGate: z
    .object({ threshold: z.enum(SCAN_SEVERITIES), timeoutSeconds: z.number().int().positive() })
    .nullable(),
  alarmHold: z.object({ intervalSeconds: z.number().int().positive(), maxChecks: z.number().int().min(0) }),
  progress: z.object({ index: z.number().int().min(0), holds: z.number().int().min(0) }),
  dryRun: z.boolean(),
  notifyTopicArn: z.string().nullable(),
  trigger: z.object({
    eventId: z.string().min(1),
    source: z.string(),
    detailType: z.string(),
    time: z.string().optional(),
  }),
  correlationId: z.string().min(1),
});

export type DeployInput = z.infer<typeof DeployInput>;

/** What each deploy-steps invocation receives from the state machine. */
export const DeployStepPayload = z.object({
  action: z.string(),
  input: z.unknown(),
  execution: z.string().min(1),
  taskToken: z.string().optional(),
});
export type DeployStepPayload = z.infer<typeof DeployStepPayload>;
