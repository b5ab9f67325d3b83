import * as z from "zod";
import type { CoreDeps } from "../context.ts";
import { ErrorNames, SwitchyardError } from "../errors.ts";
import { name as boundedName, text as boundedText, StorableNumber } from "../events/bounds.ts";
import { recordAudit } from "../store/state.ts";
import { parseWith, type SameActions } from "../unit.ts";
import type { FailoverPart } from "../workflows/failover.ts";
import { FailoverInput, type FailoverStepPayload } from "./input.ts";

/**
 * What the failover state machine carries from state to state, and what every step does with
 * it: read it from the task payload, and audit its decisions under the run's ids.
 */

export type Json = Record<string, unknown>;

/**
 * Bounds of what the state machine carries from state to state. A console start or replay may
 * supply any of these fields in its input (a state overwrites most of them later, not all: an
 * auto-approved run keeps the input's `approved`), and the report stores them in DynamoDB:
 * strings short enough for a 400 KB item, numbers that DynamoDB stores exactly.
 */
const text = boundedText(4_096);
const name = boundedName(256);
const seconds = StorableNumber.pipe(z.number().min(0, "must not be negative"));

const PARTS = [
  "promote",
  "scaleLambda",
  "scaleEcs",
  "scaleAutoScaling",
  "configure",
  "dns",
  "resync",
] as const;
// A part the workflow plans but this list lacks (or the reverse) fails to compile.
const sameParts: SameActions<(typeof PARTS)[number], FailoverPart> = true;
void sameParts;

const PlanSchema = z.looseObject({
  act: z.enum(["write", "skip", "wait", "dry-run"]),
  description: text,
  from: z.unknown().optional(),
  to: z.unknown().optional(),
  resourceRecords: z
    .array(z.object({ Value: text }))
    .max(100)
    .optional(),
  /** Aurora global databases: which write runs (SwitchoverGlobalCluster or FailoverGlobalCluster). */
  mode: z.enum(["switchover", "failover"]).optional(),
});
/** What a part's planner decided, and the words the report uses for it. */
export type Plan = z.infer<typeof PlanSchema>;

const PreflightSchema = z.object({
  ok: z.boolean(),
  reason: text,
  reasons: z.array(text).max(100),
  approval: z.enum(["required", "auto", "not-needed"]),
  lagSeconds: seconds.nullable(),
  signals: z.object({ alarm: name.nullable(), health: text.nullable() }),
});
/** What preflight found, and whether a human must approve. */
export type Preflight = z.infer<typeof PreflightSchema>;

/** What earlier states added to the input (each its ResultPath), validated before any step runs. */
const CarriedState = z.looseObject({
  /** What the Read states got from AWS: a describe/get result, or the error caught in its place. */
  world: z.record(z.string(), z.unknown()).optional(),
  plans: z.partialRecord(z.enum(PARTS), z.object({ value: PlanSchema })).optional(),
  preflight: z.object({ value: PreflightSchema }).optional(),
  approved: z.object({ approvedBy: name.optional(), at: z.iso.datetime().optional() }).optional(),
  verification: z
    .object({ value: z.object({ ok: z.boolean(), checks: z.array(z.unknown()).max(100) }) })
    .optional(),
});

/** The input plus what earlier states added to it. */
export type Carried = FailoverInput & z.infer<typeof CarriedState>;

/** One task of the failover (and failback) state machine. */
export type Step = (deps: CoreDeps, input: Carried, payload: FailoverStepPayload) => Promise<unknown>;

/** An SDK integration's caught error, as the state machine stores it in place of a result. */
export const isError = (world: unknown): world is { Error: string; Cause?: string } =>
  typeof world === "object" && world !== null && "Error" in world;

/**
 * The payload's input, defaults filled and what earlier states added checked against its bounds
 * (a step writes nothing on bad carried state: InvalidInput names the field); a run started by
 * hand in the console is its own trigger.
 */
export function readCarried(payload: FailoverStepPayload): Carried {
  const raw = (payload.input ?? {}) as Json;
  const invalid = (issues: string) =>
    new SwitchyardError(ErrorNames.InvalidInput, `the failover input is not complete: ${issues}`);
  const parsed = parseWith(FailoverInput, raw, invalid);
  const carried = parseWith(CarriedState, raw, invalid);
  const name = payload.execution.split(":").at(-1) ?? payload.execution;
  return {
    ...carried,
    ...parsed,
    trigger: parsed.trigger ?? {
      kind: "manual",
      eventId: name,
      source: "console",
      detailType: "manual start",
    },
    correlationId: parsed.correlationId ?? name,
  };
}

/** Records a step's decision against the runbook, with the run's trigger and execution. */
export const audit = (
  deps: CoreDeps,
  input: Carried,
  payload: FailoverStepPayload,
  decision: string,
  reason: string,
  details?: Json,
) =>
  recordAudit(deps.store, {
    reaction: "failover",
    decision,
    reason,
    subject: input.runbook,
    ...(input.correlationId ? { correlationId: input.correlationId } : {}),
    ...(input.trigger ? { eventId: input.trigger.eventId } : {}),
    executionArn: payload.execution,
    ...(details ? { details } : {}),
  });
