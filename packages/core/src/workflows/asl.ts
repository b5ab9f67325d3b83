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
