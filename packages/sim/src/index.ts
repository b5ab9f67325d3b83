export { type AccountOptions, type CallRecord, type Fault, SimulatedAccount } from "./account.ts";
export { Activity, VirtualClock } from "./clock.ts";
export { type LocalDynamo, localCredentials, startLocalDynamo } from "./dynalite.ts";
export {
  accessDeniedMessage,
  type Decision,
  evaluate,
  type PolicyStatement,
  type Role,
  wildcardMatch,
} from "./iam.ts";
export type {
  AsyncStep,
  BusEventOut,
  Caller,
  Invocation,
  Kernel,
  MetricSource,
  ServiceEvent,
} from "./kernel.ts";
export type { Delivery, LaterOutcome, TargetOutcome } from "./services/eventbridge.ts";
export type { LocalHandler, LocalLambdaContext } from "./services/lambda.ts";
export type { ExecutionRecord, HistoryEvent } from "./services/sfn.ts";
