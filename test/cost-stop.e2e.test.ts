import { StartInstancesCommand } from "@aws-sdk/client-ec2";
import { StartDBInstanceCommand } from "@aws-sdk/client-rds";
import { describe, expect } from "vitest";
import type { ControlPlane } from "../packages/cli/src/local/control-plane.ts";
import { decideApproval } from "../packages/core/src/cost/approval.ts";
import { readResponse } from "../packages/core/src/cost/record.ts";
import {
  ANOMALY,
  costAudit,
  costConfig,
  costExecutions,
  it as costIt,
  grown,
  resolved,
  seedStopWorld,
  WORKER,
  withStopActions,
} from "./support/cost.ts";

const BASTION = "i-0a1b2c3d4e5f60002";
const WEB = "i-0a1b2c3d4e5f60003";
const STOPS = new Set(["StopInstances", "StopDBInstance", "UpdateService"]);

/**
 * `it` with `start(select?, change?)`: a cost control plane whose critical tier stops what
 * `select` selects, `change` applied to the policy, and the EC2, RDS and ECS world seeded.
 */
const it = costIt.extend(
  "start",
  ({ startCostPlane }) =>
    async (
      select?: Record<string, string[]>,
      change: (cost: Record<string, unknown>) => void = () => undefined,
    ): Promise<ControlPlane> => {
      const stops = withStopActions(select);
      const plane = await startCostPlane(
        costConfig((cost) => {
          stops(cost);
          change(cost);
        }),
      );
      seedStopWorld(plane);
      return plane;
    },
);

/** A critical-tier anomaly (impact 6000), approved by a human, and the stops run to their end state. */
async function approvedCritical(p: ControlPlane, eventId: string): Promise<void> {
  await p.deliver(grown(6000, eventId));
  await decideApproval(p.context, ANOMALY, "approve", "alice");
  await p.settle();
  // Stopping takes minutes on AWS; Cost Anomaly Detection re-sends an anomaly hours apart.
  p.account.clock.tick(10 * 60_000);
  await p.settle();
}

async function resolve(p: ControlPlane): Promise<void> {
  await p.deliver(resolved("0b9d6f0e-2d35-4c55-9d4f-5f2c7a1e0f09"));
  await p.runOut();
}

const world = (p: ControlPlane) => ({
  ec2: [WORKER, BASTION, WEB].map((id) => p.account.ec2.state(id)),
  rds: ["ignition-staging", "ignition-staging-audit", "ignition-prod"].map(
    (id) => p.account.rds.describe(id)?.status,
  ),
  ecs: ["api-staging", "worker-staging", "api-prod"].map(
    (s) => p.account.ecs.service("ignition", s)?.desired,
  ),
});

const AS_SEEDED = {
  ec2: ["running", "running", "running"],
  rds: ["available", "available", "available"],
  ecs: [3, 2, 6],
};

describe("stopping tagged non-production resources at the critical tier", () => {
  it("stops nothing before a human approves", async ({ start }) => {
    const p = await start();

    await p.deliver(grown(6000, "0b9d6f0e-2d35-4c55-9d4f-5f2c7a1e0f01"));

    expect(world(p)).toEqual(AS_SEEDED);
    expect((await costAudit(p)).map((a) => a.decision)).toContain("awaiting-approval");
  });

  it("after approval stops the selected EC2 instance, RDS instance and ECS service, and leaves protected and production ones alone", async ({
    start,
  }) => {
    const p = await start();

    await approvedCritical(p, "0b9d6f0e-2d35-4c55-9d4f-5f2c7a1e0f02");

    expect(world(p)).toEqual({
      ec2: ["stopped", "running", "running"],
      rds: ["stopped", "available", "available"],
      ecs: [0, 2, 6],
    });
    const applied = (await readResponse(p.store, ANOMALY))?.applied ?? {};
    expect(applied[`stop-ec2-instances:${BASTION}`]?.status).toBe("protected");
    expect(applied["stop-rds-instances:ignition-staging-audit"]?.status).toBe("protected");
    expect(applied["scale-ecs-services-to-zero:ignition/worker-staging"]?.status).toBe("protected");
    expect(applied["scale-ecs-services-to-zero:ignition/api-staging"]).toMatchObject({
      status: "applied",
      previous: 3,
      set: 0,
    });
  });

  it("never touches a production- or protected-tagged resource even when a rule selects it", async ({
    start,
  }) => {
    const p = await start({ environment: ["staging", "production"] });

    await approvedCritical(p, "0b9d6f0e-2d35-4c55-9d4f-5f2c7a1e0f03");

    expect(world(p)).toEqual({
      ec2: ["stopped", "running", "running"],
      rds: ["stopped", "available", "available"],
      ecs: [0, 2, 6],
    });
    const guarded = (await costAudit(p)).filter((a) => a.decision === "protected").map((a) => a.reason);
    expect(guarded).toEqual(
      expect.arrayContaining([
        `${WEB} is tagged environment=production: never touched`,
        "ignition-prod is tagged environment=production: never touched",
        "ignition/api-prod is tagged environment=production: never touched",
      ]),
    );
  });

  it("does nothing when the approval times out", async ({ start }) => {
    const p = await start();
    await p.deliver(grown(6000, "0b9d6f0e-2d35-4c55-9d4f-5f2c7a1e0f04"));

    await p.settle();
    p.account.clock.advance({ includeHumanWaits: true });
    await p.runOut();

    expect(world(p)).toEqual(AS_SEEDED);
    expect(p.account.calls.filter((c) => STOPS.has(c.action))).toEqual([]);
    expect((await costAudit(p)).find((a) => a.decision === "no-action")?.reason).toMatch(
      /no approval within 3600 s: nothing done/,
    );
  });

  it("starts and scales back everything it stopped when the anomaly is resolved", async ({ start }) => {
    const p = await start();
    await approvedCritical(p, "0b9d6f0e-2d35-4c55-9d4f-5f2c7a1e0f05");

    await resolve(p);

    expect(world(p)).toEqual(AS_SEEDED);
    expect(
      (await costAudit(p)).filter((a) => a.decision === "reverted").map((a) => a.details?.target),
    ).toEqual(expect.arrayContaining([WORKER, "ignition-staging", "ignition/api-staging"]));
    expect((await readResponse(p.store, ANOMALY))?.status).toBe("ended");
  });

  it("skips the revert of an instance a human started again, records why, and reverts the rest", async ({
    start,
  }) => {
    const p = await start();
    await approvedCritical(p, "0b9d6f0e-2d35-4c55-9d4f-5f2c7a1e0f06");
    await p.clients.ec2.send(new StartInstancesCommand({ InstanceIds: [WORKER] }));
    await p.clients.rds.send(new StartDBInstanceCommand({ DBInstanceIdentifier: "ignition-staging" }));
    p.account.clock.tick(10 * 60_000);

    await resolve(p);

    const audit = await costAudit(p);
    const skipped = audit.filter((a) => a.decision === "revert-skipped").map((a) => a.reason);
    expect(skipped.toSorted()).toEqual([
      "the anomaly was resolved: DB instance ignition-staging is available, not the stopped Switchyard left: someone changed it since, so it stays",
      `the anomaly was resolved: instance ${WORKER} is running, not the stopped Switchyard left: someone changed it since, so it stays`,
    ]);
    expect(p.account.callsOf({ action: "StartInstances", principal: "switchyard-cost-steps" })).toEqual([]);
    expect(p.account.ecs.service("ignition", "api-staging")?.desired).toBe(3);
  });
});

describe("stopping resources in dry-run mode", () => {
  it("records what it would stop, from reads only, and stops nothing", async ({ start }) => {
    const p = await start(undefined, (cost) => {
      cost.dryRun = true;
    });

    await p.deliver(grown(6000, "0b9d6f0e-2d35-4c55-9d4f-5f2c7a1e0f0a"));

    expect(world(p)).toEqual(AS_SEEDED);
    expect(p.account.calls.filter((c) => STOPS.has(c.action))).toEqual([]);
    expect(
      (await costAudit(p))
        .filter((a) => a.decision === "dry-run")
        .map((a) => a.reason)
        .toSorted(),
    ).toEqual([
      "would scale service ignition/api-staging to 0 tasks (now 3)",
      "would stop DB instance ignition-staging (now available)",
      `would stop instance ${WORKER} (now running)`,
    ]);
  });
});

describe("stopping resources under injected AWS failures", () => {
  it("records an instance EC2 refuses to stop as failed, stops the rest, and reverts only those", async ({
    start,
  }) => {
    const p = await start();
    p.account.injectFault({
      service: "ec2",
      action: "StopInstances",
      error: "UnauthorizedOperation",
      message: "You are not authorized to perform this operation.",
    });

    await approvedCritical(p, "0b9d6f0e-2d35-4c55-9d4f-5f2c7a1e0f0b");
    const afterApply = world(p);
    await resolve(p);

    expect(afterApply).toEqual({
      ec2: ["running", "running", "running"],
      rds: ["stopped", "available", "available"],
      ecs: [0, 2, 6],
    });
    expect((await readResponse(p.store, ANOMALY))?.applied[`stop-ec2-instances:${WORKER}`]).toMatchObject({
      status: "failed",
      note: `stop-ec2-instances on ${WORKER} failed: UnauthorizedOperation: You are not authorized to perform this operation.`,
    });
    expect(p.account.callsOf({ action: "StartInstances" })).toEqual([]);
    expect(world(p)).toEqual(AS_SEEDED);
  });

  it("retries a throttled RDS stop and stops the instance once", async ({ start }) => {
    const p = await start();
    p.account.injectFault({ service: "rds", action: "StopDBInstance", error: "Throttling", times: 2 });

    await approvedCritical(p, "0b9d6f0e-2d35-4c55-9d4f-5f2c7a1e0f07");

    expect(p.account.rds.describe("ignition-staging")?.status).toBe("stopped");
    expect(
      p.account.callsOf({ action: "StopDBInstance", principal: "switchyard-cost-steps" }).map((c) => c.error),
    ).toEqual(["Throttling", "Throttling", undefined]);
    expect(
      (await readResponse(p.store, ANOMALY))?.applied["stop-rds-instances:ignition-staging"]?.status,
    ).toBe("applied");
  });

  it("fails safe when scaling the ECS service keeps failing: records what was stopped, then still reverts it", async ({
    start,
  }) => {
    const p = await start();
    p.account.injectFault({
      service: "ecs",
      action: "UpdateService",
      error: "ThrottlingException",
      times: 50,
    });

    await approvedCritical(p, "0b9d6f0e-2d35-4c55-9d4f-5f2c7a1e0f08");
    const afterApply = world(p);
    await p.runOut();

    expect(afterApply).toEqual({
      ec2: ["stopped", "running", "running"],
      rds: ["stopped", "available", "available"],
      ecs: [3, 2, 6],
    });
    const failed = (await costAudit(p)).find((a) => a.decision === "failed");
    expect(failed?.reason).toMatch(
      new RegExp(
        `applied so far, reverted later: .*stop-ec2-instances ${WORKER}, stop-rds-instances ignition-staging`,
      ),
    );
    expect(world(p)).toEqual(AS_SEEDED);
    expect(costExecutions(p).map((e) => e.status)).toEqual(["SUCCEEDED"]);
  });
});
