import { type Config, type ConfigInput, parseConfig } from "../packages/core/src/config/index.ts";
import { planAlarms } from "./plan/alarms.ts";
import {
  environmentProblems,
  nameProblems,
  policyProblems,
  quotaProblems,
  StackPlanError,
  stageProblems,
  targetProblems,
} from "./plan/checks.ts";
import { planDashboard } from "./plan/dashboard.ts";
import { planFunctions } from "./plan/functions.ts";
import { MANAGED_POLICIES_PER_ROLE, UNSCOPED } from "./plan/iam.ts";
import { planStateMachines } from "./plan/machines.ts";
import { names } from "./plan/names.ts";
import { resolveResources } from "./plan/resources.ts";
import { planDeadLetterQueue, planForwarding, planRules } from "./plan/rules.ts";
import { secretKeys } from "./plan/secret-keys.ts";
import { planBudgetAlarms } from "./plan/slo.ts";
import {
  BUNDLE_PLUGINS,
  planSecretRotations,
  planTable,
  planWebhookSecret,
  type StackPlan,
} from "./plan/stack.ts";

/**
 * The stack plan's public entry: `planStack` draws up everything the Switchyard stack creates as
 * plain data (stacks/plan/*.ts, one part each), and refuses a plan AWS would refuse.
 */

export type { AlarmPlan } from "./plan/alarms.ts";
export { StackPlanError } from "./plan/checks.ts";
export type { DashboardMetric, DashboardPlan } from "./plan/dashboard.ts";
export type { BundledFile, FunctionPlan } from "./plan/functions.ts";
export { type ManagedPolicyPlan, policyDocument, type Statement } from "./plan/iam.ts";
export type { StateMachinePlan } from "./plan/machines.ts";
export type { DeadLetterQueuePlan, RulePlan } from "./plan/rules.ts";
export { type SecretKey, secretKeys } from "./plan/secret-keys.ts";
export type { BudgetAlarmPlan } from "./plan/slo.ts";
export type { StackPlan } from "./plan/stack.ts";

/**
 * Plans the Switchyard stack for `config` (what `switchyard.config.ts` exports) in `stage`.
 * When `target` (the account and region the credentials deploy to) is given, it must match the
 * config's, since every ARN is built from the config. `managedPoliciesPerRole` is the account's
 * IAM quota (10 unless raised). Throws a ConfigError for an invalid config and a StackPlanError,
 * listing every problem, for a config that AWS would refuse.
 */
export function planStack(
  input: ConfigInput,
  opts: { stage: string; target?: { account: string; region: string }; managedPoliciesPerRole?: number },
): StackPlan {
  const config: Config = parseConfig(input, "switchyard.config.ts");
  const { stage } = opts;
  const where = `stage "${stage}" of "${config.name}"`;
  const quota = opts.managedPoliciesPerRole ?? MANAGED_POLICIES_PER_ROLE.default;
  for (const early of [stageProblems(stage), quotaProblems(quota)])
    if (early.length > 0) throw new StackPlanError(where, early);

  const n = names(config, stage);
  const resources = resolveResources(config, n);
  const keys = secretKeys(config, n);
  const functions = planFunctions(n, config, resources, { secretKeys: keys });
  const rules = planRules(config, n);
  const deadLetterQueue = planDeadLetterQueue(n, rules);
  const stateMachines = planStateMachines(n, resources, keys);
  const alarms = planAlarms(config, n, { deadLetterQueue, functions, stateMachines });

  const plan: StackPlan = {
    app: n.app,
    stage,
    region: n.region,
    account: n.account,
    secretRotations: planSecretRotations(config, n),
    table: planTable(n),
    deadLetterQueue,
    webhookSecret: planWebhookSecret(n),
    notificationTopicArn: config.notifications.topicArn,
    functions,
    rules,
    forwarding: planForwarding(config, n),
    stateMachines,
    alarms,
    budgetAlarms: planBudgetAlarms(config),
    dashboard: planDashboard(n, { deadLetterQueue, functions, alarms }),
    resources,
    unscopedActions: { ...UNSCOPED },
    bundle: { format: "esm", minify: true, plugins: BUNDLE_PLUGINS },
  };

  const problems = [
    ...targetProblems(config, opts.target),
    ...nameProblems(plan),
    ...environmentProblems(plan),
    ...policyProblems(plan, quota),
  ];
  if (problems.length > 0) throw new StackPlanError(where, problems, plan);
  return plan;
}
