import type { Permission, ResourceRef } from "../../packages/core/src/wiring.ts";
import type { Names } from "./names.ts";

/** An identity-policy statement in SST's `permissions` shape (always Allow). */
export interface Statement {
  actions: string[];
  resources: string[];
  /** IAM's Condition element, `{ operator: { key: value(s) } }` (a CMK secret's key grant). */
  conditions?: Record<string, Record<string, string | string[]>>;
}

/** A customer-managed policy attached to a role: statements the role's inline policy has no room for. */
export interface ManagedPolicyPlan {
  name: string;
  arn: string;
  statements: Statement[];
}

// IAM and AWS STS quotas: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html
// A config too large for them declares name prefixes instead (docs/decisions/0024-iam-at-scale.md).

/** IAM's limit for the inline policies of one role, in characters not counting whitespace. */
export const ROLE_INLINE_POLICY_LIMIT = 10_240;
/** IAM's limit for one managed policy, in characters not counting whitespace. */
export const MANAGED_POLICY_LIMIT = 6_144;
/** IAM's quota of managed policies attached to one role: 10 unless raised through Service Quotas, 20 at most. */
export const MANAGED_POLICIES_PER_ROLE = { default: 10, max: 20 };
/**
 * Room left in a function's inline policy for the statements SST adds to it (in `sst dev`:
 * appsync:* and its asset bucket, about 200 characters; SST 4.17 function.ts, createRole).
 */
export const SST_INLINE_HEADROOM = 512;
/** SST attaches AWSLambdaBasicExecutionRole to every function's role (logging is on by default). */
export const SST_MANAGED_POLICIES = 1;

/**
 * Actions that must be granted on "*", and why. Statements never mix these with scoped
 * actions, and the tests refuse "*" for any action not listed here.
 */
export const UNSCOPED: Record<string, string> = {
  "secretsmanager:GetRandomPassword":
    "GetRandomPassword reads no secret and supports no resource-level permissions (Service Authorization " +
    "Reference, AWS Secrets Manager)",
  "ec2:DescribeInstances":
    "EC2 Describe actions support no resource-level permissions (Service Authorization Reference, Amazon EC2)",
  "ecs:ListServices":
    "ListServices supports no resource type, only the ecs:cluster condition key (Service Authorization Reference, Amazon ECS)",
  "cloudwatch:GetMetricStatistics":
    "CloudWatch metric reads support no resource-level permissions (Service Authorization Reference, Amazon CloudWatch)",
  "cloudwatch:GetMetricData":
    "CloudWatch metric reads support no resource-level permissions (Service Authorization Reference, Amazon CloudWatch)",
  "autoscaling:DescribeAutoScalingGroups":
    "Describe actions of EC2 Auto Scaling support no resource-level permissions (Service Authorization Reference, Amazon EC2 Auto Scaling)",
  "route53:GetHealthCheckStatus":
    "GetHealthCheckStatus supports no resource-level permissions (Service Authorization Reference, Amazon Route 53)",
  "cloudwatch:DescribeAlarms":
    "guarding alarms may be composite alarms, and DescribeAlarms returns composite alarms only to a " +
    'caller whose permission is scoped to "*" (CloudWatch API Reference, DescribeAlarms)',
  ...Object.fromEntries(
    [
      "logs:CreateLogDelivery",
      "logs:GetLogDelivery",
      "logs:UpdateLogDelivery",
      "logs:DeleteLogDelivery",
      "logs:ListLogDeliveries",
      "logs:PutResourcePolicy",
      "logs:DescribeResourcePolicies",
      "logs:DescribeLogGroups",
    ].map((action) => [
      action,
      'CloudWatch Logs log delivery does not support resource-level permissions; Step Functions documents Resource "*" ' +
        "for logging a state machine to CloudWatch Logs (Step Functions Developer Guide, IAM policies for logging)",
    ]),
  ),
  ...Object.fromEntries(
    [
      "xray:PutTraceSegments",
      "xray:PutTelemetryRecords",
      "xray:GetSamplingRules",
      "xray:GetSamplingTargets",
    ].map((action) => [
      action,
      "X-Ray trace and sampling actions do not support resource-level permissions (Service Authorization " +
        "Reference, AWS X-Ray; Step Functions Developer Guide, IAM policies for X-Ray tracing)",
    ]),
  ),
};

/** What a state machine's role needs to log ALL to CloudWatch Logs and to trace with X-Ray. */
export const STATE_MACHINE_OBSERVABILITY: Statement[] = [
  { actions: Object.keys(UNSCOPED).filter((a) => a.startsWith("logs:")), resources: ["*"] },
  { actions: Object.keys(UNSCOPED).filter((a) => a.startsWith("xray:")), resources: ["*"] },
];

/** The IAM policy document AWS receives for `statements`, minified as IAM counts its size. */
export function policyDocument(statements: readonly Statement[]): string {
  return JSON.stringify({
    Version: "2012-10-17",
    Statement: statements.map((s) => ({
      Effect: "Allow",
      Action: s.actions,
      Resource: s.resources,
      ...(s.conditions ? { Condition: s.conditions } : {}),
    })),
  });
}

/** Scoped actions on the resolved ARNs, unscoped ones apart on "*"; a grant on nothing is left out. */
export function statementsFor(
  resources: Record<ResourceRef, string[]>,
): (permissions: readonly Permission[]) => Statement[] {
  return (permissions) =>
    permissions.flatMap((p) => {
      const scoped = p.actions.filter((a) => !(a in UNSCOPED));
      const unscoped = p.actions.filter((a) => a in UNSCOPED);
      const arns = [...new Set(p.resources.flatMap((ref) => resources[ref]))];
      return [
        ...(scoped.length > 0 && arns.length > 0 ? [{ actions: [...scoped], resources: arns }] : []),
        ...(unscoped.length > 0 ? [{ actions: [...unscoped], resources: ["*"] }] : []),
      ];
    });
}

/** The role's statements, inline as far as they fit and in managed policies named `${role}-1`... beyond. */
export function rolePolicies(
  names: Names,
  role: string,
  all: Statement[],
  inlineLimit: number,
): { permissions: Statement[]; managedPolicies: ManagedPolicyPlan[] } {
  const { inline, managed } = splitStatements(all, inlineLimit);
  return {
    permissions: inline,
    managedPolicies: managed.map((statements, i) => ({
      name: `${role}-${i + 1}`,
      arn: names.policyArn(`${role}-${i + 1}`),
      statements,
    })),
  };
}

/**
 * Packs a role's statements into its inline policy (`inlineLimit` characters) and, for what does
 * not fit, into customer-managed policies of at most 6,144 characters each. Statements that fit
 * whole stay inline; a statement that does not is cut into statements with the same actions on
 * consecutive runs of its resources, filling the inline policy's remaining room first.
 */
function splitStatements(
  all: Statement[],
  inlineLimit: number,
): { inline: Statement[]; managed: Statement[][] } {
  if (policyDocument(all).length <= inlineLimit) return { inline: all, managed: [] };
  const empty = policyDocument([]).length;
  // Counting a comma for every statement and resource overestimates by at most one per policy.
  const size = (s: Statement) => policyDocument([s]).length - empty + 1;
  const inline: Statement[] = [];
  const bins = [{ statements: inline, used: empty, limit: inlineLimit }];
  const deferred: Statement[] = [];
  for (const statement of all) {
    const bin = bins[0] as (typeof bins)[number];
    if (bin.used + size(statement) <= bin.limit) {
      bin.statements.push(statement);
      bin.used += size(statement);
    } else deferred.push(statement);
  }
  for (const { actions, resources, ...extra } of deferred) {
    const base = size({ ...extra, actions, resources: [] });
    let rest = resources;
    while (rest.length > 0) {
      let bin = bins[bins.length - 1] as (typeof bins)[number];
      let taken = 0;
      let used = base;
      for (const arn of rest) {
        if (bin.used + used + JSON.stringify(arn).length + 1 > bin.limit) break;
        used += JSON.stringify(arn).length + 1;
        taken += 1;
      }
      if (taken === 0) {
        if (bin.statements.length === 0)
          throw new Error(
            `the resource ${rest[0]} does not fit in an IAM policy of ${MANAGED_POLICY_LIMIT} characters`,
          );
        bin = { statements: [], used: empty, limit: MANAGED_POLICY_LIMIT };
        bins.push(bin);
        continue;
      }
      bin.statements.push({ ...extra, actions: [...actions], resources: rest.slice(0, taken) });
      bin.used += used;
      rest = rest.slice(taken);
    }
  }
  return { inline, managed: bins.slice(1).map((b) => b.statements) };
}
