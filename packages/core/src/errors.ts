/**
 * Switchyard's one error family: the names that cross the Lambda ↔ Step Functions boundary.
 * A task throws a `SwitchyardError`; Lambda reports its `name` as the `errorType`, and the
 * state machines' Retry/Catch lists (workflows/) match on these very constants. Secrets
 * Manager and the CLI read the rotation names the same way.
 */
export const ErrorNames = {
  // Every reaction.
  /** The world moved on since this input was made (newer version, alias changed): do nothing. */
  Stale: "StaleExecution",
  /** A conditional write lost a race (RevisionId, expected version); safe to retry the step. */
  PreconditionFailed: "PreconditionFailed",
  /** AWS throttled us or was briefly unavailable; retry with backoff. */
  Throttled: "Throttled",
  /** The input does not name what the step needs. */
  InvalidInput: "InvalidInput",
  /** The config names something that does not exist (an alarm, a function). */
  ConfigError: "ConfigError",

  // Deploy.
  /** Another deployment of the same target is in progress. */
  DeploymentInProgress: "DeploymentInProgress",
  /**
   * AWS refused a write in a way no retry can fix (e.g. UpdateFunctionCode's
   * InvalidParameterValueException), or Lambda reported the update it applied as Failed: the
   * deployment is abandoned, never left shifting.
   */
  Permanent: "PermanentFailure",

  // Failover and failback.
  /** The secondary did not pass its checks after the switch (retried a bounded number of times). */
  VerificationFailed: "VerificationFailed",
  /** A human denied the approval a failover or a deployment step (gates.ts) waited for. */
  ApprovalRejected: "ApprovalRejected",
  /** A deployment's traffic hook reported Failed (CodeDeploy's lifecycle event hook status). */
  HookFailed: "LifecycleEventHookFailed",

  // Secret rotation. Every one is raised before the step writes anything, so a failed step
  // leaves the secret as it found it.
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

export type ErrorName = (typeof ErrorNames)[keyof typeof ErrorNames];

/** The one error a step throws for the state machine to match by name. */
export class SwitchyardError extends Error {
  override name: ErrorName;
  constructor(name: ErrorName, message: string) {
    super(message);
    this.name = name;
  }
}

/**
 * The errors an execution itself ends with (its Fail states), beside the task errors above
 * that some Fail states pass on: what deploy-watch, the CLI and an operator read.
 */
export const ExecutionErrors = {
  ScanGateBlocked: "ScanGateBlocked",
  RolledBack: "RolledBack",
  DeploymentAbandoned: "DeploymentAbandoned",
  /** Lambda did not finish a code update within the deploy's poll bound (deploy-watch settles it). */
  CodeUpdateTimedOut: "CodeUpdateTimedOut",
  RevertIncomplete: "RevertIncomplete",
  LeakNotHandled: "LeakNotHandled",
  PreflightFailed: "PreflightFailed",
  ApprovalTimedOut: "ApprovalTimedOut",
  PromotionTimedOut: "PromotionTimedOut",
  DnsSyncTimedOut: "DnsSyncTimedOut",
  ResyncTimedOut: "ResyncTimedOut",
} as const;

/** Error names Step Functions itself raises (the `States.` family). */
export const StatesErrors = {
  ALL: "States.ALL",
  Timeout: "States.Timeout",
} as const;

/**
 * Errors AWS raises, by the names a state machine's task reports them (`<Service>.<Exception>`
 * for an AWS SDK integration), for the Retry/Catch lists that match them.
 */
export const AwsErrors = {
  /**
   * The Lambda service's transient errors for a `lambda:invoke` task, see
   * https://docs.aws.amazon.com/step-functions/latest/dg/bp-lambda-serviceexception.html
   */
  LambdaTransient: [
    "Lambda.TooManyRequestsException",
    "Lambda.ServiceException",
    "Lambda.AWSLambdaException",
    "Lambda.SdkClientException",
  ],
  /** Transient errors of any service, unprefixed: an SDK integration reports `<Service>.<Name>`. */
  SdkTransient: [
    "ThrottlingException",
    "Throttling",
    "TooManyRequestsException",
    "ServiceUnavailableException",
    "ServiceUnavailable",
    "InternalFailure",
    "InternalServerError",
    "ServiceException",
  ],
  /**
   * EC2's throttling code as the cost-response state machine's EC2 tasks report it (Step
   * Functions' AWS SDK integration: `Ec2.<Code>`); https://docs.aws.amazon.com/AWSEC2/latest/APIReference/throttling.html
   */
  Ec2Throttled: ["Ec2.RequestLimitExceeded"],
  /** Secrets Manager's 500, which the rotate-on-leak steps let through under its own name. */
  SecretsManagerInternal: "InternalServiceError",
  ProvisionedConcurrencyConfigNotFound: ["Lambda.ProvisionedConcurrencyConfigNotFoundException"],
  SsmParameterNotFound: ["Ssm.ParameterNotFoundException", "Ssm.ParameterNotFound"],
  // RDS: the SDK integration has reported both spellings; the JavaScript SDK's exception names
  // (…Fault) are what the failover-steps function's regional calls report (failover/regional.ts).
  DbInstanceNotFound: [
    "Rds.DbInstanceNotFoundException",
    "Rds.DBInstanceNotFound",
    "Rds.DBInstanceNotFoundFault",
  ],
  DbInstanceAlreadyExists: [
    "Rds.DbInstanceAlreadyExistsException",
    "Rds.DBInstanceAlreadyExists",
    "Rds.DBInstanceAlreadyExistsFault",
  ],
  InvalidDbInstanceState: [
    "Rds.InvalidDbInstanceStateException",
    "Rds.InvalidDBInstanceState",
    "Rds.InvalidDBInstanceStateFault",
  ],
  GlobalClusterNotFound: ["Rds.GlobalClusterNotFoundException", "Rds.GlobalClusterNotFoundFault"],
  InvalidGlobalClusterState: ["Rds.InvalidGlobalClusterStateException", "Rds.InvalidGlobalClusterStateFault"],
} as const;

const THROTTLING = new Set([
  "ThrottlingException",
  "Throttling",
  "TooManyRequestsException",
  "ProvisionedThroughputExceededException",
  "RequestLimitExceeded",
  "ServiceException",
  "ServiceUnavailable",
  "ServiceUnavailableException",
  "InternalFailure",
  "InternalServerError",
  // Lambda answers ResourceConflictException while a function update is still in progress.
  "ResourceConflictException",
]);

/** True for errors that AWS documents as transient (throttling, 5xx, update in progress). */
export function isTransient(error: unknown): boolean {
  const e = error as { name?: string; $metadata?: { httpStatusCode?: number } };
  return THROTTLING.has(e?.name ?? "") || (e?.$metadata?.httpStatusCode ?? 0) >= 500;
}

/**
 * Runs one AWS write and turns its failure into a named error the workflow understands:
 * transient → Throttled (retried by the state machine), precondition → PreconditionFailed.
 */
export async function awsStep<T>(what: string, send: () => Promise<T>): Promise<T> {
  try {
    return await send();
  } catch (error) {
    const e = error as Error;
    if (isTransient(e)) throw new SwitchyardError(ErrorNames.Throttled, `${what}: ${e.name}: ${e.message}`);
    if (e.name === "PreconditionFailedException" || e.name === "ConditionalCheckFailedException") {
      throw new SwitchyardError(ErrorNames.PreconditionFailed, `${what}: ${e.message}`);
    }
    throw error;
  }
}
