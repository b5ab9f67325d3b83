import type * as z from "zod";
import { CONTEXT_ENV, type FunctionEnv } from "./context.ts";
import type { EventPattern } from "./events/pattern.ts";
import type { Permission } from "./permissions.ts";
import { formatZodIssues } from "./util/zod-error.ts";
import type { StateMachineDefinition } from "./workflows/asl.ts";

/**
 * A reaction as one unit (Cloud Custodian's habit, and the cost `ActionUnit`'s): the functions it
 * runs with their permissions and environment, the bus rules that route events to them, its
 * state machine, and the steps that machine's Task states call, typed by their actions. The
 * wiring (wiring.ts) is derived from the units; the functions' runtime runs their steps.
 */

export type FunctionName =
  | "deploy-trigger"
  | "scan-result"
  | "rollback"
  | "deploy-steps"
  | "deploy-watch"
  | "github-webhook"
  | "cost-intake"
  | "cost-steps"
  | "rotate"
  | "secret-leak"
  | "secret-leak-steps"
  | "secrets-stuck"
  | "failover-trigger"
  | "failover-steps";

export interface FunctionSpec {
  readonly name: FunctionName;
  /** Path of the handler module from the repo root, SST style (`file.export`). */
  readonly handler: string;
  readonly description: string;
  readonly permissions: readonly Permission[];
  /** The environment variables the function reads; the stack sets exactly these. */
  readonly env: readonly FunctionEnv[];
  readonly timeoutSeconds: number;
  readonly memoryMB: number;
  /** Exposed through a function URL (the GitHub webhook receiver). */
  readonly url?: true;
}

/** A function that reads the shared context (CONTEXT_ENV), its handler `packages/functions/src/<name>.handler`. */
export const contextFunction = (spec: Omit<FunctionSpec, "handler" | "env">): FunctionSpec => ({
  ...spec,
  handler: `packages/functions/src/${spec.name}.handler`,
  env: CONTEXT_ENV,
});

export interface RuleSpec {
  readonly name: string;
  readonly description: string;
  readonly pattern: EventPattern;
  readonly target: FunctionName;
  /**
   * A scheduled rule (`rate(...)`/`cron(...)`): the stack gives EventBridge this
   * ScheduleExpression instead of the pattern, and the target receives a Scheduled Event;
   * `pattern` then matches that Scheduled Event, so a local bus routes a delivered one.
   */
  readonly schedule?: string;
}

/** The steps functions a state machine's Task states invoke, by ARN. */
export interface StepFunctionArns {
  readonly deployStepsFunction: string;
  readonly costStepsFunction: string;
  readonly secretLeakStepsFunction: string;
  readonly failoverStepsFunction: string;
}

export type StateMachineName = "deploy" | "cost-response" | "rotate-on-leak" | "failover" | "failback";

export interface StateMachineSpec {
  readonly name: StateMachineName;
  readonly description: string;
  readonly definition: (arns: StepFunctionArns) => StateMachineDefinition;
  readonly permissions: readonly Permission[];
}

/** One step: what the Task state with this action does. */
export type Step<D, I, P> = (deps: D, input: I, payload: P) => Promise<unknown>;

/**
 * The steps a state machine's Task states (or Secrets Manager's rotation protocol) call. `actions`
 * is the tuple of action names (`as const`): `steps` has exactly those keys, and each unit checks
 * at compile time that its workflow names no other action.
 */
export interface StepSpec<A extends string, D, I, P> {
  readonly actions: readonly [A, ...A[]];
  /** Validates an invocation; throws the error a bad invocation fails with (named for Retry/Catch). */
  readonly payload: (raw: unknown) => P;
  readonly action: (payload: P) => string;
  /** The error an invocation naming no known action fails with. */
  readonly unknown: (action: string, known: readonly string[]) => Error;
  /** The workflow input a step works on, validated (throws a named error), and the log keys it adds. */
  readonly input: (payload: P) => I;
  /** Log keys that identify the invocation (the execution, the rotation token). */
  readonly logKeys: (payload: P) => Record<string, string>;
  readonly steps: { readonly [K in A]: Step<D, I, P> };
  /** What a finished step logs, when the step's result is worth a line. */
  readonly summary?: (payload: P, result: unknown) => Record<string, unknown>;
}

export interface ReactionUnit {
  /** The reaction, as logs, metrics and the audit name it. */
  readonly reaction: string;
  readonly functions: readonly FunctionSpec[];
  readonly rules: readonly RuleSpec[];
  readonly stateMachine?: StateMachineSpec;
  /** The state machine's input: what an execution started from the console must carry. */
  readonly input?: z.ZodType;
  readonly steps?: AnyStepSpec;
}

// biome-ignore lint/suspicious/noExplicitAny: the units' step types differ; each unit keeps its own precisely.
export type AnyStepSpec = StepSpec<string, any, any, any>;

/** A unit whose functions run steps, typed by them (what `stepHandler` takes). */
export interface StepsUnit<S extends AnyStepSpec> extends ReactionUnit {
  readonly steps: S;
}

/** Validates `raw` with `schema`, or throws the error `fail` builds from the issues. */
export function parseWith<S extends z.ZodType>(
  schema: S,
  raw: unknown,
  fail: (issues: string) => Error,
): z.output<S> {
  const parsed = schema.safeParse(raw);
  if (!parsed.success) throw fail(formatZodIssues(parsed.error).join("; "));
  return parsed.data;
}

/** Compile-time check that two action unions are the same (the unit's tuple and its workflow's Task actions). */
export type SameActions<A extends string, B extends string> = [A] extends [B]
  ? [B] extends [A]
    ? true
    : { missingFromTuple: Exclude<B, A> }
  : { notInWorkflow: Exclude<A, B> };
