import { type ResourceRef, stateMachines } from "../../packages/core/src/wiring.ts";
import type { StateMachineDefinition } from "../../packages/core/src/workflows/asl.ts";
import {
  type ManagedPolicyPlan,
  ROLE_INLINE_POLICY_LIMIT,
  rolePolicies,
  STATE_MACHINE_OBSERVABILITY,
  type Statement,
  statementsFor,
} from "./iam.ts";
import type { Names, StateMachineName } from "./names.ts";
import { type SecretKey, withSecretKeyGrants } from "./secret-keys.ts";

export interface StateMachinePlan {
  name: StateMachineName;
  stateMachineName: string;
  arn: string;
  type: "STANDARD";
  definition: StateMachineDefinition;
  role: { name: string; arn: string; permissions: Statement[]; managedPolicies: ManagedPolicyPlan[] };
  logGroup: { name: string; arn: string; retentionInDays: number };
  logging: { level: "ALL"; includeExecutionData: true };
  tracing: true;
}

/** Each state machine of core's wiring, with its own role, log group and tracing. */
export function planStateMachines(
  n: Names,
  resources: Record<ResourceRef, string[]>,
  secretKeys: readonly SecretKey[] = [],
): StateMachinePlan[] {
  const statements = statementsFor(resources);
  return stateMachines.map((sm) => {
    const role = n.stateMachineRole(sm.name);
    return {
      name: sm.name,
      stateMachineName: n.stateMachineName(sm.name),
      arn: n.stateMachineArn(sm.name),
      type: "STANDARD",
      definition: sm.definition({
        deployStepsFunction: n.functionArn("deploy-steps"),
        costStepsFunction: n.functionArn("cost-steps"),
        secretLeakStepsFunction: n.functionArn("secret-leak-steps"),
        failoverStepsFunction: n.functionArn("failover-steps"),
      }),
      role: {
        ...role,
        ...rolePolicies(
          n,
          role.name,
          [...withSecretKeyGrants(statements(sm.permissions), secretKeys), ...STATE_MACHINE_OBSERVABILITY],
          ROLE_INLINE_POLICY_LIMIT,
        ),
      },
      logGroup: { ...n.stateMachineLogGroup(sm.name), retentionInDays: 30 },
      // Execution data (inputs and outputs) is logged: deploy inputs name functions, images and
      // alarms, never secrets, and the data is what an operator needs to replay an execution.
      logging: { level: "ALL", includeExecutionData: true },
      tracing: true,
    };
  });
}
