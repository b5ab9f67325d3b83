import { afterEach, describe, expect, it } from "vitest";
import { type ControlPlane, startControlPlane } from "../packages/cli/src/local/control-plane.ts";
import {
  history,
  type OpsTarget,
  operatorPromote,
  operatorRollback,
  setPaused,
  status,
} from "../packages/cli/src/ops.ts";
import { readDeployment } from "../packages/core/src/store/state.ts";
import { untilAlias } from "./support/deploy.ts";
import { example, fixture } from "./support/scenario.ts";

/** The operations verbs, on a control plane where a canary is baking at 10%. */
describe("operations verbs", () => {
  let plane: ControlPlane;
  const config = example();
  const target = (): OpsTarget => ({ deps: plane.context, where: "test", close: async () => undefined });

  async function canaryAt10Percent() {
    plane = await startControlPlane(config, { start: Date.parse("2019-11-16T01:54:34Z") });
    await plane.deliver(fixture("aws/ecr/image-push.json") as never);
    await plane.deliver(fixture("scenarios/image-scan-clean.json") as never);
    await untilAlias(plane, "api-handler:live", { version: "1", weights: { "2": 0.1 } });
  }
  afterEach(async () => plane?.close());

  it("status shows what each alias serves, the deployment in flight, the alarms and the kill switch", async () => {
    await canaryAt10Percent();

    const s = await status(config, target());

    expect(s.paused).toBe(false);
    expect(s.deployments[0]).toMatchObject({
      deployment: "api",
      alias: "api-handler:live",
      serving: "version 1 with 10% on version 2",
      record: { status: "shifting", stableVersion: "1", newVersion: "2" },
      alarms: { ServerCpuTooHigh: "OK" },
    });
  });

  it("pause stops the next push from deploying, and the audit log says who paused and why", async () => {
    plane = await startControlPlane(config, { start: Date.parse("2019-11-16T01:54:34Z") });

    await setPaused(target(), true, "incident 4711", "alice");
    await plane.deliver(fixture("aws/ecr/image-push.json") as never);

    expect(plane.account.sfn.executions()).toHaveLength(0);
    expect((await status(config, target())).paused).toBe(true);
    const decisions = (await history(target(), 10)).map((r) => `${r.decision}: ${r.reason}`);
    expect(decisions).toContain("paused: alice: incident 4711");
    expect(decisions.some((d) => d.startsWith("no-action: automation paused (incident 4711)"))).toBe(true);
  });

  it("resume lets automation act again", async () => {
    plane = await startControlPlane(config, { start: Date.parse("2019-11-16T01:54:34Z") });
    await setPaused(target(), true, "maintenance", "alice");

    await setPaused(target(), false, "maintenance over", "alice");
    await plane.deliver(fixture("aws/ecr/image-push.json") as never);

    expect(plane.account.sfn.executions()).toHaveLength(1);
  });

  it("rollback puts a baking canary back on the stable version and stops its execution", async () => {
    await canaryAt10Percent();

    const out = await operatorRollback(config, target(), "api", "customers report errors", "bob");

    expect(out.outcome).toBe("rolled-back");
    expect(plane.aliases()["api-handler:live"]).toEqual({ version: "1", weights: {} });
    expect(plane.account.sfn.executions()[0]?.status).toBe("ABORTED");
    expect((await readDeployment(plane.store, "api"))?.status).toBe("rolled-back");
  });

  it("rollback undoes a finished deployment too", async () => {
    await canaryAt10Percent();
    await plane.runOut();
    expect(plane.aliases()["api-handler:live"]).toEqual({ version: "2", weights: {} });

    await operatorRollback(config, target(), "api", "regression found after the bake", "bob");

    expect(plane.aliases()["api-handler:live"]).toEqual({ version: "1", weights: {} });
  });

  it("promote skips the rest of the bake: 100% on the new version, execution stopped, record succeeded", async () => {
    await canaryAt10Percent();

    await operatorPromote(config, target(), "api", "hotfix, cannot wait", "carol");

    expect(plane.aliases()["api-handler:live"]).toEqual({ version: "2", weights: {} });
    expect(plane.account.sfn.executions()[0]?.status).toBe("ABORTED");
    expect((await readDeployment(plane.store, "api"))?.status).toBe("succeeded");
  });

  it("refuses to roll back or promote what is not there, naming the deployments", async () => {
    plane = await startControlPlane(config);

    await expect(operatorRollback(config, target(), "nope", "x", "bob")).rejects.toThrow(
      'no deployment "nope" in the config; deployments: api, worker',
    );
    await expect(operatorPromote(config, target(), "api", "x", "bob")).rejects.toThrow(
      /is not shifting traffic \(no record\)/,
    );
  });
});
