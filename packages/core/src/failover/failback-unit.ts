import type { StepsUnit } from "../unit.ts";
import { failbackDefinition } from "../workflows/failback.ts";
import { FailoverInput } from "./input.ts";
import { failoverMachinePermissions, failoverStepSpec } from "./unit.ts";

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
    // The failover machine's: RDS and SSM in the runbook's regions go through the steps function
    // (failover/regional.ts), Route 53 is global.
    permissions: failoverMachinePermissions,
  },
  input: FailoverInput,
  steps: failoverStepSpec,
};
