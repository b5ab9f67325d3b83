import { ErrorNames, ExecutionErrors, StatesErrors } from "../errors.ts";
import type { LeakStep } from "../secrets/leak.ts";
import {
  catchTo,
  type LambdaTaskOptions,
  lambdaTask,
  type Retrier,
  type StateMachineDefinition,
  type TaskState,
} from "./asl.ts";

/** In AWS, RotateSecret runs the rotation function asynchronously: verify waits for it. */
const retryNotFinished: Retrier = {
  ErrorEquals: [ErrorNames.RotationNotFinished],
  IntervalSeconds: 5,
  MaxAttempts: 12,
  BackoffRate: 1.5,
  MaxDelaySeconds: 60,
};

/**
 * Rotate on leak: rotate now, prove the new credential works, make the leaked one useless,
 * resolve the GitHub alert as revoked, record and notify. Any failure is recorded and notified,
 * then the execution fails at that step: a redrive resumes there (every step is idempotent:
 * the rotation's version id derives from the alert, so RotateSecret is not repeated).
 */
export function rotateOnLeakDefinition(stepsFunctionArn: string): StateMachineDefinition {
  const task = (action: LeakStep, next: string | undefined, options: LambdaTaskOptions = {}): TaskState =>
    lambdaTask(stepsFunctionArn, action, {
      next,
      input: "$.input",
      payload: {
        ...(action === "invalidate" ? { "rotation.$": "$.rotation" } : {}),
        ...(action === "recordFailure" ? { "error.$": "$.error" } : {}),
      },
      ResultPath: null,
      ...(action === "recordFailure" ? {} : { Catch: [catchTo([StatesErrors.ALL], "RecordFailure")] }),
      ...options,
    });
  return {
    Comment:
      "Switchyard rotate-on-leak: rotate, verify, invalidate the leaked credential, resolve the alert, record",
    StartAt: "Prepare",
    States: {
      Prepare: { Type: "Pass", Parameters: { "input.$": "$" }, Next: "Rotate" },
      Rotate: task("rotate", "Verify", {
        ResultSelector: { "leakedVersion.$": "$.Payload.leakedVersion" },
        ResultPath: "$.rotation",
      }),
      Verify: task("verify", "Invalidate", { retry: [retryNotFinished] }),
      Invalidate: task("invalidate", "ResolveAlert"),
      ResolveAlert: task("resolveAlert", "Record"),
      Record: task("record", undefined),
      RecordFailure: task("recordFailure", "Failed"),
      Failed: {
        Type: "Fail",
        Error: ExecutionErrors.LeakNotHandled,
        Cause:
          "The leaked secret was not fully handled: the audit log and the notification say which step failed",
      },
    },
  };
}
