import { describe, expect } from "vitest";
import { history, operatorPromote, operatorRollback, setPaused, status } from "../packages/cli/src/ops.ts";
import { readDeployment } from "../packages/core/src/store/state.ts";
import { canaryAt10Percent, opsTarget } from "./support/deploy.ts";
import { it } from "./support/plane.ts";
import { busEvent } from "./support/scenario.ts";

/** The operations verbs, on a control plane where a canary is baking at 10%. */
describe("operations verbs", () => {
  it("status shows what each alias serves, the deployment in flight, the alarms and the kill switch", async ({
    config,
    plane,
  }) => {
    await canaryAt10Percent(plane);

    const s = await status(config, opsTarget(plane));

    expect(s.paused).toBe(false);
    expect(s.deployments[0]).toMatchObject({
      deployment: "api",
      alias: "api-handler:live",
      serving: "version 1 with 10% on version 2",
      record: { status: "shifting", stableVersion: "1", newVersion: "2" },
      alarms: { ServerCpuTooHigh: "OK" },
    });
  });

  it("pause stops the next push from deploying, and the audit log says who paused and why", async ({
    config,
    plane,
  }) => {
    await setPaused(opsTarget(plane), true, "incident 4711", "alice");
    await plane.deliver(busEvent("aws/ecr/image-push.json"));

    expect(plane.account.sfn.executions()).toHaveLength(0);
    expect((await status(config, opsTarget(plane))).paused).toBe(true);
    const decisions = (await history(opsTarget(plane), 10)).map((r) => `${r.decision}: ${r.reason}`);
    expect(decisions).toContain("paused: alice: incident 4711");
    expect(decisions.some((d) => d.startsWith("no-action: automation paused (incident 4711)"))).toBe(true);
  });

  it("resume lets automation act again", async ({ plane }) => {
    await setPaused(opsTarget(plane), true, "maintenance", "alice");

    await setPaused(opsTarget(plane), false, "maintenance over", "alice");
    await plane.deliver(busEvent("aws/ecr/image-push.json"));

    expect(plane.account.sfn.executions()).toHaveLength(1);
  });

  it("rollback puts a baking canary back on the stable version and stops its execution", async ({
    config,
    plane,
  }) => {
    await canaryAt10Percent(plane);

    const out = await operatorRollback(config, opsTarget(plane), "api", "customers report errors", "bob");

    expect(out.outcome).toBe("rolled-back");
    expect(plane.aliases()["api-handler:live"]).toEqual({ version: "1", weights: {} });
    expect(plane.account.sfn.executions()[0]?.status).toBe("ABORTED");
    expect((await readDeployment(plane.store, "api"))?.status).toBe("rolled-back");
  });

  it("rollback undoes a finished deployment too", async ({ config, plane }) => {
    await canaryAt10Percent(plane);
    await plane.runOut();
    expect(plane.aliases()["api-handler:live"]).toEqual({ version: "2", weights: {} });

    await operatorRollback(config, opsTarget(plane), "api", "regression found after the bake", "bob");

    expect(plane.aliases()["api-handler:live"]).toEqual({ version: "1", weights: {} });
  });

  it("promote skips the rest of the bake: 100% on the new version, execution stopped, record succeeded", async ({
    config,
    plane,
  }) => {
    await canaryAt10Percent(plane);

    await operatorPromote(config, opsTarget(plane), "api", "hotfix, cannot wait", "carol");

    expect(plane.aliases()["api-handler:live"]).toEqual({ version: "2", weights: {} });
    expect(plane.account.sfn.executions()[0]?.status).toBe("ABORTED");
    expect((await readDeployment(plane.store, "api"))?.status).toBe("succeeded");
  });

  it("refuses to roll back or promote what is not there, naming the deployments", async ({
    config,
    plane,
  }) => {
    await expect(operatorRollback(config, opsTarget(plane), "nope", "x", "bob")).rejects.toThrow(
      'no deployment "nope" in the config; deployments: api, worker',
    );
    await expect(operatorPromote(config, opsTarget(plane), "api", "x", "bob")).rejects.toThrow(
      /is not shifting traffic \(no record\)/,
    );
  });
});
