import type { Config } from "../../packages/core/src/config/index.ts";
import { CONFIG_FILE_VARIABLE } from "./functions.ts";
import {
  MANAGED_POLICIES_PER_ROLE,
  MANAGED_POLICY_LIMIT,
  ROLE_INLINE_POLICY_LIMIT,
  SST_MANAGED_POLICIES,
} from "./iam.ts";
import { SST_APP, STAGE } from "./names.ts";
import type { StackPlan } from "./stack.ts";

/**
 * What AWS would refuse, checked before anything is created: each check returns one
 * "what: why; fix" line per problem, and `planStack` throws them together.
 */

/** Lambda measures a function's environment as JSON text and refuses more than 4 KB of it. */
const LAMBDA_ENVIRONMENT_LIMIT = 4096;

/**
 * A stack that AWS would refuse; `problems` holds one "what: why; fix" line each, and `plan` the
 * refused plan when one could be drawn up (to see what outgrew a limit).
 */
export class StackPlanError extends Error {
  readonly problems: string[];
  readonly plan: StackPlan | undefined;

  constructor(where: string, problems: string[], plan?: StackPlan) {
    super(`cannot plan ${where}:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
    this.name = "StackPlanError";
    this.problems = problems;
    this.plan = plan;
  }
}

/** The stage becomes part of every resource name. */
export function stageProblems(stage: string): string[] {
  if (STAGE.test(stage)) return [];
  return [
    `stage "${stage}": must be lower-case letters, digits and "-", starting and ending with a letter or digit ` +
      '(it becomes part of every resource name), e.g. "dev" or "production"',
  ];
}

/** The account's IAM quota of managed policies per role, as the deployer states it. */
export function quotaProblems(quota: number): string[] {
  if (
    Number.isInteger(quota) &&
    quota >= MANAGED_POLICIES_PER_ROLE.default &&
    quota <= MANAGED_POLICIES_PER_ROLE.max
  )
    return [];
  return [
    `managedPoliciesPerRole ${quota}: IAM's quota of managed policies per role is ${MANAGED_POLICIES_PER_ROLE.default} ` +
      `unless raised through Service Quotas, to ${MANAGED_POLICIES_PER_ROLE.max} at most; set ` +
      "SWITCHYARD_MANAGED_POLICIES_PER_ROLE (sst.config.ts) to the account's quota, or leave it unset for the default",
  ];
}

export function targetProblems(
  config: Config,
  target: { account: string; region: string } | undefined,
): string[] {
  if (!target) return [];
  const fields = [
    {
      field: "account",
      planned: config.account,
      actual: target.account,
      what: "the AWS credentials are for account",
    },
    { field: "region", planned: config.region, actual: target.region, what: "SST deploys to region" },
  ];
  return fields
    .filter((f) => f.planned !== f.actual)
    .map(
      (f) =>
        `${f.field}: the config says "${f.planned}" but ${f.what} "${f.actual}"; every ARN is built from the config, ` +
        `so set "${f.field}": "${f.actual}" in switchyard.config.ts or deploy with credentials for "${f.planned}"`,
    );
}

/** AWS's name limits, for the names that grow with the app and stage names. */
export function nameProblems(plan: StackPlan): string[] {
  const names: { what: string; name: string; max: number }[] = [
    ...plan.functions.map((f) => ({ what: "Lambda function name", name: f.functionName, max: 64 })),
    ...plan.rules.map((r) => ({ what: "EventBridge rule name", name: r.name, max: 64 })),
    ...plan.stateMachines.flatMap((sm) => [
      { what: "state machine name", name: sm.stateMachineName, max: 80 },
      { what: "IAM role name", name: sm.role.name, max: 64 },
    ]),
    { what: "SQS queue name", name: plan.deadLetterQueue.name, max: 80 },
    { what: "DynamoDB table name", name: plan.table.name, max: 255 },
    ...plan.alarms.map((a) => ({ what: "CloudWatch alarm name", name: a.name, max: 255 })),
    // PutDashboard: at most 255 characters (CloudWatch API Reference, PutDashboard).
    { what: "CloudWatch dashboard name", name: plan.dashboard.name, max: 255 },
  ];
  return names
    .filter((n) => n.name.length > n.max)
    .map(
      (n) =>
        `${n.what} "${n.name}" is ${n.name.length} characters, over AWS's ${n.max}; ` +
        `shorten the stage or the config's "name" by ${n.name.length - n.max}`,
    );
}

/** Size the environment as Lambda does, with the variables SST adds (SST_RESOURCE_App, SST_KEY, SST_KEY_FILE). */
export function environmentProblems(plan: StackPlan): string[] {
  const sstVariables = {
    SST_RESOURCE_App: JSON.stringify({ name: SST_APP, stage: plan.stage }),
    SST_KEY: "k".repeat(44),
    SST_KEY_FILE: "resource.enc",
  };
  const over = plan.functions
    .map((f) => ({
      name: f.name,
      bytes: Buffer.byteLength(JSON.stringify({ ...f.environment, ...sstVariables })),
    }))
    .filter((f) => f.bytes > LAMBDA_ENVIRONMENT_LIMIT);
  if (over.length === 0) return [];
  return [
    `environment of ${over.map((f) => f.name).join(", ")}: up to ${Math.max(...over.map((f) => f.bytes))} bytes, ` +
      `over Lambda's 4 KB (${LAMBDA_ENVIRONMENT_LIMIT}-byte) limit for a function's environment variables; ` +
      "a value that grows with the config belongs in a bundled file, as the config does (" +
      `${CONFIG_FILE_VARIABLE}, docs/decisions/0004-stacks-from-core-data.md)`,
  ];
}

/**
 * The managed ARNs grow with the deployments; past what a role's inline and managed policies can
 * hold, IAM refuses the attachment. SST attaches one AWS managed policy to a function's role.
 */
export function policyProblems(plan: StackPlan, quota: number): string[] {
  const roles = [
    ...plan.functions.map((f) => ({
      what: `the ${f.name} function's role`,
      managed: f.managedPolicies,
      // SST attaches AWSLambdaVPCAccessExecutionRole too to a function in a VPC.
      attached: f.managedPolicies.length + SST_MANAGED_POLICIES + (f.vpc ? 1 : 0),
    })),
    ...plan.stateMachines.map((sm) => ({
      what: `the ${sm.name} state machine's role`,
      managed: sm.role.managedPolicies,
      attached: sm.role.managedPolicies.length,
    })),
  ];
  return roles
    .filter((r) => r.attached > quota)
    .map(
      (r) =>
        `policies of ${r.what}: its grants need ${r.managed.length} customer-managed policies of up to ` +
        `${MANAGED_POLICY_LIMIT} characters besides the ${ROLE_INLINE_POLICY_LIMIT}-character inline policy, ` +
        `${r.attached} managed policies attached in all, over the account's quota of ${quota} managed policies per role ` +
        `(IAM "Managed policies per role": ${MANAGED_POLICIES_PER_ROLE.default} by default, up to ${MANAGED_POLICIES_PER_ROLE.max} ` +
        "through Service Quotas); raise the quota and deploy with SWITCHYARD_MANAGED_POLICIES_PER_ROLE set to it " +
        "(sst.config.ts passes it as managedPoliciesPerRole), move deployments to another " +
        'Switchyard stack (its own config "name" and SST stage), or grant by name prefix instead of ARN by ARN: ' +
        'list the start your deployments\' function and repository names share in "iam": { "functionPrefixes": [...], ' +
        '"repositoryPrefixes": [...] } (docs/decisions/0024-iam-at-scale.md)',
    );
}
