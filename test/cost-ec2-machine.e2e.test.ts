import { describe, expect, it } from "vitest";
import { LOCAL_NAMES } from "../packages/cli/src/local/control-plane.ts";
import { decideApproval } from "../packages/core/src/cost/approval.ts";
import { readResponse } from "../packages/core/src/cost/record.ts";
import { costConfig, grown, seedStopWorld, startCostPlane, withStopActions } from "./support/cost.ts";

const ANOMALY = "12345678-abcd-ef12-3456-987654321a12";
const WORKER = "i-0a1b2c3d4e5f60001";
const MACHINE = `states:${LOCAL_NAMES.functionPrefix}cost-response`;

/**
 * The cost-response state machine stops EC2 instances itself, through Step Functions' AWS SDK
 * integration (ADR 0030): the simulated Step Functions sends the call as the state machine, so its
 * role, not the cost-steps function's, is what IAM checks.
 * https://docs.aws.amazon.com/step-functions/latest/dg/supported-services-awssdk.html
 */
describe("EC2 calls of the cost-response state machine", () => {
  it("are authorized against the state machine's role: without ec2:StopInstances the stop is refused and recorded as failed", async () => {
    const p = await startCostPlane(costConfig(withStopActions()));
    try {
      seedStopWorld(p);
      const role = p.account.roleOf(MACHINE);
      if (!role) throw new Error(`no role for ${MACHINE}`);
      // Only the state machine's role is enforced here: its EC2 grant without StopInstances.
      p.account.enforce(
        new Map([
          [
            MACHINE,
            {
              ...role,
              statements: role.statements.map((s) => ({
                ...s,
                actions: s.actions.filter((a) => a !== "ec2:StopInstances"),
              })),
            },
          ],
        ]),
      );

      await p.deliver(grown(6000, "0b9d6f0e-2d35-4c55-9d4f-5f2c7a1e0c01") as never);
      await decideApproval(p.context, ANOMALY, "approve", "alice");
      await p.settle();

      const [stop] = p.account.callsOf({ action: "StopInstances" });
      expect(stop).toMatchObject({ principal: MACHINE, error: "AccessDeniedException" });
      expect(p.account.ec2.state(WORKER)).toBe("running");
      expect((await readResponse(p.store, ANOMALY))?.applied[`stop-ec2-instances:${WORKER}`]).toMatchObject({
        status: "failed",
        note: expect.stringMatching(
          /^stop-ec2-instances on i-0a1b2c3d4e5f60001 failed: AccessDeniedException: /,
        ),
      });
      expect(
        p.account.callsOf({ service: "ec2", principal: `${LOCAL_NAMES.functionPrefix}cost-steps` }),
      ).toEqual([]);
    } finally {
      await p.close();
    }
  });
});
