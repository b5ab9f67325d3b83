import type { CoreDeps } from "../context.ts";
import { ErrorNames, SwitchyardError } from "../errors.ts";
import { recordAudit } from "../store/state.ts";
import { formatZodIssues } from "../util/zod-error.ts";
import type { FailoverPart } from "../workflows/failover.ts";
import { FailoverInput, type FailoverStepPayload } from "./input.ts";

/**
 * What the failover state machine carries from state to state, and what every step does with
 * it: read it from the task payload, and audit its decisions under the run's ids.
 */

export type Json = Record<string, unknown>;

/** What a part's planner decided, and the words the report uses for it. */
export interface Plan {
  act: "write" | "skip" | "wait" | "dry-run";
  description: string;
  from?: unknown;
  to?: unknown;
  resourceRecords?: { Value: string }[];
  /** Aurora global databases: which write runs (SwitchoverGlobalCluster or FailoverGlobalCluster). */
  mode?: "switchover" | "failover";
}

/** What preflight found, and whether a human must approve. */
export interface Preflight {
  ok: boolean;
  reason: string;
  reasons: string[];
  approval: "required" | "auto" | "not-needed";
  lagSeconds: number | null;
  signals: { alarm: string | null; health: string | null };
}

/** The input plus what earlier states added to it. */
export type Carried = FailoverInput & {
  world?: Json;
  plans?: Partial<Record<FailoverPart, { value: Plan }>>;
  preflight?: { value: Preflight };
  approved?: { approvedBy?: string; at?: string };
  verification?: { value: { ok: boolean; checks: unknown[] } };
};

/** One task of the failover (and failback) state machine. */
export type Step = (deps: CoreDeps, input: Carried, payload: FailoverStepPayload) => Promise<unknown>;

/** An SDK integration's caught error, as the state machine stores it in place of a result. */
export const isError = (world: unknown): world is { Error: string; Cause?: string } =>
  typeof world === "object" && world !== null && "Error" in world;

/** The payload's input, defaults filled; a run started by hand in the console is its own trigger. */
export function readCarried(payload: FailoverStepPayload): Carried {
  const raw = (payload.input ?? {}) as Json;
  const parsed = FailoverInput.safeParse(raw);
  if (!parsed.success)
    throw new SwitchyardError(
      ErrorNames.InvalidInput,
      `the failover input is not complete: ${formatZodIssues(parsed.error).join("; ")}`,
    );
  const name = payload.execution.split(":").at(-1) ?? payload.execution;
  return {
    ...(raw as Carried),
    ...parsed.data,
    trigger: parsed.data.trigger ?? {
      kind: "manual",
      eventId: name,
      source: "console",
      detailType: "manual start",
    },
    correlationId: parsed.data.correlationId ?? name,
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
