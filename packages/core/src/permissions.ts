/**
 * What a function or a state machine may do: IAM actions on symbolic resources that `stacks/`
 * resolves to ARNs. Its own module, below both the reaction units and the wiring that gathers
 * them, so a unit can declare its permissions without importing the wiring.
 */

/** Symbolic resources a permission is scoped to; `stacks/` resolves them to ARNs. */
export type ResourceRef =
  | "stateTable"
  | "deployStateMachine"
  | "deployExecutions"
  | "managedFunctions"
  | "managedAlarms"
  /** The alarms on a new version, by their prefix `switchyard-<deployment>-v` (version-alarms.ts). */
  | "deployVersionAlarms"
  /** The Lambda functions the deployments' traffic hooks name (hooks.ts). */
  | "deployHookFunctions"
  | "deadLetterQueue"
  | "notificationTopic"
  | "eventBus"
  | "webhookSecret"
  | "deployStepsFunction"
  | "imageRepositories"
  /** The GitHub token secrets of deployments that write statuses back (deployments[].github.statuses). */
  | "deployGithubTokens"
  | "costStateMachine"
  | "costExecutions"
  | "costStepsFunction"
  /** Functions the cost config's cap-lambda-concurrency actions name. */
  | "costCappedFunctions"
  /** EventBridge rules the cost config's disable-schedules actions name. */
  | "costScheduleRules"
  /** EC2 instances of the account and region, when a stop-ec2-instances action selects some by tag. */
  | "costEc2Instances"
  /** RDS DB instances of the account and region, when a stop-rds-instances action selects some by tag. */
  | "costDbInstances"
  /** The services of the clusters the cost config's scale-ecs-services-to-zero actions name. */
  | "costEcsServices"
  /** The secrets in the config's secrets[]: the ones rotated. */
  | "managedSecrets"
  /** The rotation function of each secret in secrets[]: Switchyard's `rotate`, or the secret's own (rotator "custom"). */
  | "rotationFunctions"
  /** Secrets rotation only reads: the master and GitHub token secrets that secrets[] and secretScanning name. */
  | "rotationCredentials"
  | "rotateOnLeakStateMachine"
  | "rotateOnLeakExecutions"
  | "secretLeakStepsFunction"
  /** Failover runbooks: the state machine, its executions and steps function, and what the runbooks name. */
  | "failoverStateMachine"
  | "failoverExecutions"
  | "failoverStepsFunction"
  | "failoverAlarms"
  | "failoverDatabases"
  | "failoverFunctions"
  | "failoverServices"
  | "failoverGroups"
  | "failoverParameters"
  | "failoverZones"
  | "failoverChanges"
  | "failoverHealthChecks";

export interface Permission {
  /** IAM actions, service:Action; never a wildcard. */
  readonly actions: readonly string[];
  readonly resources: readonly ResourceRef[];
  /**
   * Actions AWS checks on the caller's behalf for another action but that the code never
   * sends itself (Lambda's UpdateFunctionCode pulls the image with the caller's ECR rights).
   * Kept apart so the test that compares sent calls with granted actions stays exact.
   */
  readonly implied?: true;
}

/** The state table, with the DynamoDB actions given. */
export const stateTableGrant = (...actions: string[]): Permission => ({
  actions: actions.map((a) => `dynamodb:${a}`),
  resources: ["stateTable"],
});

/** Every function that rejects events sends them to the dead-letter queue. */
export const deadLetterGrant: Permission = { actions: ["sqs:SendMessage"], resources: ["deadLetterQueue"] };

/** Notifications go to the config's SNS topic. */
export const notificationsGrant: Permission = { actions: ["sns:Publish"], resources: ["notificationTopic"] };

/**
 * RotateSecret invokes the secret's rotation function with the caller's permissions, so whoever
 * calls RotateSecret needs lambda:InvokeFunction on that function (Secrets Manager API Reference,
 * RotateSecret, "Required permissions"). The code never invokes it itself: an implied grant.
 */
export const rotateSecretInvokeGrant: Permission = {
  actions: ["lambda:InvokeFunction"],
  resources: ["rotationFunctions"],
  implied: true,
};
