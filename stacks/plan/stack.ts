import type { Config } from "../../packages/core/src/config/index.ts";
import { stateTable } from "../../packages/core/src/store/table.ts";
import type { ResourceRef } from "../../packages/core/src/wiring.ts";
import type { AlarmPlan } from "./alarms.ts";
import type { DashboardPlan } from "./dashboard.ts";
import type { FunctionPlan } from "./functions.ts";
import type { StateMachinePlan } from "./machines.ts";
import type { Names } from "./names.ts";
import type { DeadLetterQueuePlan, ForwardingPlan, RulePlan } from "./rules.ts";
import type { BudgetAlarmPlan } from "./slo.ts";

/**
 * Everything the Switchyard stack creates, as plain data: core's wiring (functions, rules, state
 * machines, permissions) plus the config, with every name and ARN resolved. `stacks/switchyard.ts`
 * only turns this into resources, so the tests check the plan instead of a synthesized stack.
 */
export interface StackPlan {
  app: string;
  stage: string;
  region: string;
  account: string;
  table: TablePlan;
  deadLetterQueue: DeadLetterQueuePlan;
  webhookSecret: WebhookSecretPlan;
  notificationTopicArn: string | undefined;
  functions: FunctionPlan[];
  rules: RulePlan[];
  /** Rules in the runbooks' other regions forwarding AWS Health events to the stack's bus. */
  forwarding: ForwardingPlan;
  stateMachines: StateMachinePlan[];
  /** Self-monitoring: alarms on the dead-letter queue and on every function's errors, to the topic. */
  alarms: AlarmPlan[];
  /** The error budgets' burn-rate alarms, metric math (stacks/plan/slo.ts). */
  budgetAlarms: BudgetAlarmPlan[];
  /** The CloudWatch dashboard of what the functions count and the alarms watch. */
  dashboard: DashboardPlan;
  /**
   * Each configured secret's rotation (Secrets Manager's RotationRules and rotation function):
   * Switchyard's `rotate` function, or the secret's own for rotator "custom". Secrets Manager
   * invokes the function, so each needs a resource-based grant for secretsmanager.amazonaws.com.
   */
  secretRotations: SecretRotationPlan[];
  /** Each symbolic resource of core's wiring and the ARNs it stands for. */
  resources: Record<ResourceRef, string[]>;
  /** Actions granted on Resource "*", each with the AWS-documented reason it cannot be scoped. */
  unscopedActions: Record<string, string>;
  /**
   * Bundling of every function (SST's `nodejs` options; SST derives the target from the runtime):
   * `plugins` is the esbuild plugins' file, from the repository root (stacks/bundle-plugins.ts).
   */
  bundle: { format: "esm"; minify: true; plugins: string };
}

/** The esbuild plugins every function is bundled with (SST's `nodejs.plugins`, from sst.config.ts's directory). */
export const BUNDLE_PLUGINS = "stacks/bundle-plugins.ts";

export interface TablePlan {
  name: string;
  arn: string;
  partitionKey: { name: string; type: "S" };
  sortKey: { name: string; type: "S" };
  ttlAttribute: string;
  billingMode: "PAY_PER_REQUEST";
  pointInTimeRecovery: true;
  deletionProtection: boolean;
}

export interface WebhookSecretPlan {
  name: string;
  arnPattern: string;
  description: string;
  recoveryWindowInDays: number;
}

export interface SecretRotationPlan {
  secret: string;
  secretId: string;
  rotationFunctionArn: string;
  scheduleExpression: string;
  /** Lets Secrets Manager invoke the rotation function for this secret only (ArnLike on the name's ARN). */
  invokePermission: {
    action: "lambda:InvokeFunction";
    principal: "secretsmanager.amazonaws.com";
    sourceArn: string;
  };
}

/** The state table, with core's keys and TTL; retained stages protect it from deletion. */
export function planTable(n: Names): TablePlan {
  return {
    name: n.table.name,
    arn: n.table.arn,
    partitionKey: { name: stateTable.partitionKey, type: "S" },
    sortKey: { name: stateTable.sortKey, type: "S" },
    ttlAttribute: stateTable.ttlAttribute,
    billingMode: "PAY_PER_REQUEST",
    pointInTimeRecovery: true,
    deletionProtection: n.retained,
  };
}

export function planWebhookSecret(n: Names): WebhookSecretPlan {
  return {
    name: n.webhookSecret.name,
    arnPattern: n.webhookSecret.arnPattern,
    description:
      "GitHub webhook secret (a plain SecretString): set its value, then give GitHub the same value in the webhook's settings",
    // Outside retained stages, `sst remove` then deploy must be able to reuse the name at once.
    recoveryWindowInDays: n.retained ? 30 : 0,
  };
}

/** The function that rotates a configured secret: Switchyard's `rotate`, or the secret's own. */
export function rotationFunctionArn(n: Names, secret: Config["secrets"][number]): string {
  return secret.rotationFunction ? n.lambdaArn(secret.rotationFunction) : n.functionArn("rotate");
}

export function planSecretRotations(config: Config, n: Names): SecretRotationPlan[] {
  return config.secrets.map((s) => ({
    secret: s.name,
    secretId: s.secretId,
    rotationFunctionArn: rotationFunctionArn(n, s),
    scheduleExpression: s.schedule,
    invokePermission: {
      action: "lambda:InvokeFunction",
      principal: "secretsmanager.amazonaws.com",
      sourceArn: n.secretArnOf(s.secretId),
    },
  }));
}
