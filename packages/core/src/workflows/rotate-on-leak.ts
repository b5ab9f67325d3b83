import { RotationErrors } from "../secrets/errors.ts";
import type { LeakStep } from "../secrets/leak.ts";
import type { Retrier, StateMachineDefinition, TaskState } from "./asl.ts";

const retryTransient: Retrier = {
  ErrorEquals: [
    "Throttled",
    "Lambda.TooManyRequestsException",
    "Lambda.ServiceException",
    "Lambda.AWSLambdaException",
    "Lambda.SdkClientException",
    "InternalServiceError",
    RotationErrors.DatabaseUnavailable,
  ],
  IntervalSeconds: 2,
  MaxAttempts: 4,
  BackoffRate: 2,
  JitterStrategy: "FULL",
};

/** In AWS, RotateSecret runs the rotation function asynchronously: verify waits for it. */
const retryNotFinished: Retrier = {
  ErrorEquals: [RotationErrors.RotationNotFinished],
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
  const task = (action: LeakStep, next: string | undefined, extra: Partial<TaskState> = {}): TaskState => ({
    Type: "Task",
    Resource: "arn:aws:states:::lambda:invoke",
    Parameters: {
      FunctionName: stepsFunctionArn,
      Payload: {
        action,
        "input.$": "$.input",
        "execution.$": "$$.Execution.Id",
        ...(action === "invalidate" ? { "rotation.$": "$.rotation" } : {}),
        ...(action === "recordFailure" ? { "error.$": "$.error" } : {}),
      },
    },
    ResultSelector: { "value.$": "$.Payload" },
    ResultPath: null,
    Retry: [retryTransient],
    ...(action === "recordFailure"
      ? {}
      : { Catch: [{ ErrorEquals: ["States.ALL"], Next: "RecordFailure", ResultPath: "$.error" }] }),
    ...(next ? { Next: next } : { End: true }),
    ...extra,
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
      Verify: task("verify", "Invalidate", { Retry: [retryNotFinished, retryTransient] }),
      Invalidate: task("invalidate", "ResolveAlert"),
      ResolveAlert: task("resolveAlert", "Record"),
      Record: task("record", undefined),
      RecordFailure: task("recordFailure", "Failed"),
      Failed: {
        Type: "Fail",
        Error: "LeakNotHandled",
        Cause:
          "The leaked secret was not fully handled: the audit log and the notification say which step failed",
      },
    },
  };
}
