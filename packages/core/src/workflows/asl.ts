import { AwsErrors, ErrorNames } from "../errors.ts";

/**
 * Amazon States Language as typed data (JSONPath query language). Only what Switchyard's
 * state machines use; `asl-validator` checks every definition in the tests.
 */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

export interface Retrier {
  ErrorEquals: string[];
  IntervalSeconds?: number;
  MaxAttempts?: number;
  BackoffRate?: number;
  MaxDelaySeconds?: number;
  JitterStrategy?: "FULL" | "NONE";
}

export interface Catcher {
  ErrorEquals: string[];
  Next: string;
  ResultPath?: string | null;
}

interface Flow {
  Next?: string;
  End?: true;
  Comment?: string;
}

export interface TaskState extends Flow {
  Type: "Task";
  Resource: string;
  Parameters?: { [key: string]: JsonValue };
  ResultSelector?: { [key: string]: JsonValue };
  ResultPath?: string | null;
  OutputPath?: string;
  TimeoutSeconds?: number;
  TimeoutSecondsPath?: string;
  Retry?: Retrier[];
  Catch?: Catcher[];
}

export interface PassState extends Flow {
  Type: "Pass";
  Parameters?: { [key: string]: JsonValue };
  Result?: JsonValue;
  ResultPath?: string | null;
}

export interface WaitState extends Flow {
  Type: "Wait";
  Seconds?: number;
  SecondsPath?: string;
}

export type ChoiceRule = { Next: string } & { [op: string]: JsonValue };

export interface ChoiceState {
  Type: "Choice";
  Choices: ChoiceRule[];
  Default?: string;
  Comment?: string;
}

export interface SucceedState {
  Type: "Succeed";
  Comment?: string;
  OutputPath?: string;
}

export interface FailState {
  Type: "Fail";
  Error: string;
  Cause?: string;
  CausePath?: string;
  Comment?: string;
}

export type State = TaskState | PassState | WaitState | ChoiceState | SucceedState | FailState;

export interface StateMachineDefinition {
  Comment?: string;
  StartAt: string;
  TimeoutSeconds?: number;
  States: Record<string, State>;
}

// ---------------------------------------------------------------------------------------------
// The kit every state machine is built from: one Lambda task shape and one retry policy for it,
// one way to wait for a token or for a human, one bounded poll loop.
// ---------------------------------------------------------------------------------------------

/**
 * The one retry policy of every Lambda task of every state machine: transient trouble is
 * retried with backoff and full jitter, a bounded number of times; after that the execution
 * fails in place and a redrive resumes at that step.
 *
 * MaxAttempts 4, not failover's former 3: it is what deploy, cost-response and rotate-on-leak
 * ran with and what the deploy tests' fault budgets state ("one attempt plus four retries");
 * from 2 s, doubling, it rides out about 30 s of throttling, well inside every machine's other
 * bounds. (AWS suggests up to 6 on the page that `AwsErrors.LambdaTransient` cites; more would
 * only delay the human the failure is handed to.)
 */
export const lambdaRetry: Retrier = Object.freeze({
  ErrorEquals: Object.freeze([
    ErrorNames.Throttled,
    ErrorNames.DatabaseUnavailable,
    ...AwsErrors.LambdaTransient,
    AwsErrors.SecretsManagerInternal,
  ]) as string[],
  IntervalSeconds: 2,
  MaxAttempts: 4,
  BackoffRate: 2,
  JitterStrategy: "FULL",
});

/** What a Lambda task adds to the standard shape; any other TaskState field passes through. */
export interface LambdaTaskOptions
  extends Omit<Partial<TaskState>, "Type" | "Resource" | "Parameters" | "Retry" | "Next" | "End"> {
  /** The state after this one; without it the execution ends here. */
  next?: string;
  /** The path the step receives as `input` (default: the whole state input). */
  input?: string;
  /** More Payload fields beside `action`, `input` and `execution`. */
  payload?: Record<string, JsonValue>;
  /** Retriers of this step's own errors, tried besides the Lambda retry policy. */
  retry?: Retrier[];
}

function invoke(
  resource: string,
  fn: string,
  action: string,
  token: Record<string, JsonValue>,
  options: LambdaTaskOptions,
): TaskState {
  const { next, input = "$", payload = {}, retry = [], ...rest } = options;
  return {
    Type: "Task",
    Resource: resource,
    Parameters: {
      FunctionName: fn,
      Payload: { action, "input.$": input, "execution.$": "$$.Execution.Id", ...token, ...payload },
    },
    Retry: [lambdaRetry, ...retry],
    ...(next ? { Next: next } : { End: true }),
    ...rest,
  };
}

/**
 * A Task on a steps function, the shape every state machine uses: the function receives
 * `{ action, input, execution }`, and its answer lands as `{ value }` (at `ResultPath`).
 * `A` is the steps function's action names, so a caller can bind it to its own typed actions.
 */
export function lambdaTask<A extends string>(
  fn: string,
  action: A,
  options: LambdaTaskOptions = {},
): TaskState {
  return invoke(
    "arn:aws:states:::lambda:invoke",
    fn,
    action,
    {},
    {
      ResultSelector: { "value.$": "$.Payload" },
      ...options,
    },
  );
}

/** Something that answers a task token must be waited for a bounded time. */
export type TokenTaskOptions = Omit<LambdaTaskOptions, "TimeoutSeconds" | "TimeoutSecondsPath"> &
  ({ TimeoutSeconds: number } | { TimeoutSecondsPath: string });

/**
 * A Task that hands the steps function a task token (`taskToken` in the Payload) and waits,
 * within its timeout, until someone answers it (SendTaskSuccess / SendTaskFailure); the
 * answer itself is the result.
 */
export function waitForToken<A extends string>(fn: string, action: A, options: TokenTaskOptions): TaskState {
  return invoke(
    "arn:aws:states:::lambda:invoke.waitForTaskToken",
    fn,
    action,
    { "taskToken.$": "$$.Task.Token" },
    options,
  );
}

/**
 * A Catcher that hands `errors` on to `next` with the error at `$.error`, where the next state
 * (a Fail's CausePath, a step recording the failure) reads it.
 */
export const catchTo = (errors: readonly string[], next: string): Catcher => ({
  ErrorEquals: [...errors],
  Next: next,
  ResultPath: "$.error",
});

/** Choice rules that send each string value of `variable` to its state, in the order given. */
export const whenEquals = (variable: string, nexts: Readonly<Record<string, string>>): ChoiceRule[] =>
  Object.entries(nexts).map(([value, next]) => ({ Variable: variable, StringEquals: value, Next: next }));

/**
 * The contract between the state machines and the simulated Step Functions: a state whose
 * name starts so waits for a human, and a local run that "runs out" the clock leaves its
 * timeout alone instead of letting it fire (packages/sim/src/services/sfn.ts reads it).
 */
export const HUMAN_WAIT_PREFIX = "WaitForApproval";
export type HumanWaitName = `${typeof HUMAN_WAIT_PREFIX}${string}`;
export const isHumanWait = (stateName: string): stateName is HumanWaitName =>
  stateName.startsWith(HUMAN_WAIT_PREFIX);

/**
 * A wait for a human's approval: a task-token wait, bounded by its timeout, under a state
 * name that keeps the human-wait contract above. Spread it into `States`.
 */
export function humanApproval<N extends HumanWaitName, A extends string>(
  name: N,
  fn: string,
  action: A,
  options: TokenTaskOptions,
): Record<N, TaskState> {
  return { [name]: waitForToken(fn, action, options) } as Record<N, TaskState>;
}

/** One poll loop: check → done? → bound? → count → wait → check, until done or the bound. */
export interface BoundedPoll {
  /** The state(s) that look at the world once a round; `start` is the first, the last leads to `done`. */
  check: { start: string; states: Record<string, State> };
  /** The Choice after a look: its rules leave the loop; otherwise (by default) the loop goes on. */
  done: { state: string; choices: ChoiceRule[]; otherwise?: string };
  /**
   * This loop's own counter, `{ checks }` at `path` (the input starts it at 0), bounded by the
   * number at `max`: `bound` is the Choice that compares them, `count` the Pass that adds one.
   */
  counter: { path: string; max: string; bound: string; count: string };
  /** The Wait between two looks. */
  wait: { state: string; secondsPath: string };
  /** Where the loop ends when the bound is reached: a Fail state (`fail` omitted: another loop defines it). */
  timeout: { state: string; fail?: FailState };
}

/** The states of one bounded poll loop, to spread into `States`; enter it at `check.start` or `counter.bound`. */
export function boundedPoll({ check, done, counter, wait, timeout }: BoundedPoll): Record<string, State> {
  return {
    ...check.states,
    [done.state]: { Type: "Choice", Choices: done.choices, Default: done.otherwise ?? counter.bound },
    [counter.bound]: {
      Type: "Choice",
      Choices: [
        {
          Variable: `${counter.path}.checks`,
          NumericGreaterThanEqualsPath: counter.max,
          Next: timeout.state,
        },
      ],
      Default: counter.count,
    },
    [counter.count]: {
      Type: "Pass",
      Parameters: { "checks.$": `States.MathAdd(${counter.path}.checks, 1)` },
      ResultPath: counter.path,
      Next: wait.state,
    },
    [wait.state]: { Type: "Wait", SecondsPath: wait.secondsPath, Next: check.start },
    ...(timeout.fail ? { [timeout.state]: timeout.fail } : {}),
  };
}

/** The Resource of an AWS SDK integration task. */
export const sdkResource = (service: string, action: string) =>
  `arn:aws:states:::aws-sdk:${service}:${action}`;

/**
 * Transient AWS errors of an AWS SDK integration, by the names Step Functions gives them
 * (`<Service>.<Exception>`): retried a bounded number of times; afterwards the execution
 * fails in place and a redrive resumes at that step. (Not the Lambda policy: these are the
 * AWS writes and reads a state machine makes itself.)
 */
export function sdkRetry(...services: string[]): Retrier {
  return {
    ErrorEquals: services.flatMap((s) => AwsErrors.SdkTransient.map((n) => `${s}.${n}`)),
    IntervalSeconds: 2,
    MaxAttempts: 3,
    BackoffRate: 2,
    JitterStrategy: "FULL",
  };
}
