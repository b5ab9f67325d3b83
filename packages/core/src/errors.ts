/**
 * Named errors that cross the Lambda ↔ Step Functions boundary. A task throws one of these;
 * the state machine's Retry/Catch match on `name` (Lambda reports it as `errorType`).
 */
export const ErrorNames = {
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
  /** Another deployment of the same target is in progress. */
  DeploymentInProgress: "DeploymentInProgress",
} as const;

export type ErrorName = (typeof ErrorNames)[keyof typeof ErrorNames];

export class SwitchyardError extends Error {
  constructor(name: ErrorName, message: string) {
    super(message);
    this.name = name;
  }
}

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
