import { notificationsGrant } from "../permissions.ts";
import type { StepsUnit } from "../unit.ts";
import { failbackDefinition } from "../workflows/failback.ts";
import { FailoverInput } from "./input.ts";
import { failoverStepSpec } from "./unit.ts";

/**
 * Failback: after a failover, resync a replica in the old primary region, promote it, and move
 * configuration and DNS back. Started by an operator (`switchyard failover failback`); its Task
 * states call the failover steps function, so its steps are the failover's.
 */
export const failbackUnit: StepsUnit<typeof failoverStepSpec> = {
  reaction: "failback",
  functions: [],
  rules: [],
  stateMachine: {
    name: "failback",
    description:
      "Region failback: resync a replica in the old primary region, promote it, configuration and DNS back",
    definition: ({ failoverStepsFunction }) => failbackDefinition(failoverStepsFunction),
    permissions: [
      // RDS and SSM in the runbook's regions: through the steps function (failover/regional.ts).
      { actions: ["lambda:InvokeFunction"], resources: ["failoverStepsFunction"] },
      {
        actions: ["route53:ListResourceRecordSets", "route53:ChangeResourceRecordSets"],
        resources: ["failoverZones"],
      },
      { actions: ["route53:GetChange"], resources: ["failoverChanges"] },
      // GetHealthCheckStatus has no resource-level permissions (stacks grant it on "*").
      { actions: ["route53:GetHealthCheckStatus"], resources: ["failoverHealthChecks"] },
      notificationsGrant,
    ],
  },
  input: FailoverInput,
  steps: failoverStepSpec,
};
