/**
 * Named rotation errors. Lambda reports `name` as the errorType: Secrets Manager, the CLI and
 * the rotate-on-leak state machine's Retry/Catch read it. Every one is raised before the step
 * writes anything, so a failed step leaves the secret as it found it.
 */
export const RotationErrors = {
  /** The invocation is not what Secrets Manager sends (missing SecretId, bad token...). */
  InvalidInvocation: "InvalidInvocation",
  /** `Step` is none of createSecret, setSecret, testSecret, finishSecret. */
  UnknownStep: "UnknownStep",
  /** The secret's rotation is not enabled: only Secrets Manager's rotation may call this. */
  NotRotationEnabled: "NotRotationEnabled",
  /** The token names no version, or a version that is not staged AWSPENDING. */
  TokenNotPending: "TokenNotPending",
  /** The config has no `secrets[]` entry for this secret. */
  NotManaged: "NotManaged",
  /** The secret's value is not what its rotator needs (not JSON, a field missing or mistyped). */
  InvalidSecret: "InvalidSecret",
  /** setSecret could log in with none of the pending, current or previous credentials. */
  SetFailed: "SetFailed",
  /** The pending credential does not work. */
  TestFailed: "TestFailed",
  /** The database could not be reached (not a refused login): retry later. */
  DatabaseUnavailable: "DatabaseUnavailable",
  /** The leaked credential still works after the rotation. */
  StillValid: "LeakedCredentialStillValid",
  /** The rotation RotateSecret started has not reached AWSCURRENT yet (retried). */
  RotationNotFinished: "RotationNotFinished",
} as const;

export type RotationErrorName = (typeof RotationErrors)[keyof typeof RotationErrors];

export class RotationError extends Error {
  constructor(name: RotationErrorName, message: string) {
    super(message);
    this.name = name;
  }
}
