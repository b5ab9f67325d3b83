import { afterEach, describe, expect, it } from "vitest";
import { type ControlPlane, startControlPlane } from "../packages/cli/src/local/control-plane.ts";
import { type OpsTarget, operatorRollbackTo } from "../packages/cli/src/ops.ts";
import type { Config } from "../packages/core/src/config/index.ts";
import { listAudit, readDeployment } from "../packages/core/src/store/state.ts";
import { consoleReplayOutcome, untilAlias } from "./support/deploy.ts";
import { example, variant } from "./support/scenario.ts";

// `switchyard rollback DEPLOYMENT --to VERSION` (issue #11, "No downgrade by event"; ADR 0020):
// going back to an older version is an operator action, fenced, guarded and audited.

const WORKER = "queue-worker:live";
const API = "api-handler:live";
const start = Date.parse("2019-11-16T01:54:34Z");

describe("rollback --to VERSION", () => {
  let plane: ControlPlane;
  afterEach(async () => plane?.close());
  const target = (): OpsTarget => ({ deps: plane.context, where: "test", close: async () => undefined });
  const to = (config: Config, version: string, reason = "bad migration in 3") =>
    operatorRollbackTo(config, target(), "worker", version, reason, "alice");

  /** Two images deployed one after the other: version 2, then version 3 serves 100%. */
  async function twoDeploys(config: Config = example()) {
    plane = await startControlPlane(config, { start });
    plane.account.ecr.pushImage("queue-worker", "stable", "a");
    await plane.runOut();
    plane.account.ecr.pushImage("queue-worker", "stable", "b");
    await plane.runOut();
    expect(plane.aliases()[WORKER]).toEqual({ version: "3", weights: {} });
  }

  it("moves the alias to 100% on a version Switchyard published, settles the record with it as stable and audits who and why", async () => {
    const config = example();
    await twoDeploys(config);
    const before = await readDeployment(plane.store, "worker");

    const out = await to(config, "2");

    expect(out).toMatchObject({ outcome: "rolled-back", version: "2" });
    expect(out.detail).toBe("alias queue-worker:live on version 2 (100%), was version 3 (100%)");
    expect(plane.aliases()[WORKER]).toEqual({ version: "2", weights: {} });
    expect(await readDeployment(plane.store, "worker")).toMatchObject({
      status: "rolled-back",
      stableVersion: "2",
      newVersion: "",
      generation: (before?.generation ?? 0) + 1,
      reason: "rolled back to version 2 by alice: bad migration in 3",
    });
    const audit = (await listAudit(plane.store)).at(-1);
    expect(audit).toMatchObject({ reaction: "operator", decision: "rolled-back-to", subject: "worker" });
    expect(audit?.reason).toMatch(/^alice: bad migration in 3; alias queue-worker:live on version 2/);
  });

  it("fences off a console replay of the newer deployment's input: it ends stale and the alias stays", async () => {
    const config = example();
    await twoDeploys(config);
    await to(config, "2");
    const newer = plane.account.sfn.executions().at(-1);

    expect(await consoleReplayOutcome(plane, "console-replay-after-rollback-to", newer?.input)).toBe("stale");
    expect(plane.aliases()[WORKER]).toEqual({ version: "2", weights: {} });
  });

  it("lets the next push deploy from the version it went back to", async () => {
    const config = example();
    await twoDeploys(config);
    await to(config, "2");

    plane.account.ecr.pushImage("queue-worker", "stable", "c");
    await plane.runOut();

    expect(plane.aliases()[WORKER]).toEqual({ version: "4", weights: {} });
    expect(await readDeployment(plane.store, "worker")).toMatchObject({
      status: "succeeded",
      stableVersion: "2",
      newVersion: "4",
    });
  });

  it("accepts the recorded stable version, which Switchyard did not publish", async () => {
    const config = example();
    plane = await startControlPlane(config, { start });
    plane.account.ecr.pushImage("queue-worker", "stable", "a");
    await plane.runOut();

    const out = await to(config, "1");

    expect(out.outcome).toBe("rolled-back");
    expect(plane.aliases()[WORKER]).toEqual({ version: "1", weights: {} });
  });

  it("refuses a version Switchyard did not publish for the deployment, naming what --to takes", async () => {
    const config = example();
    await twoDeploys(config);

    await expect(to(config, "1")).rejects.toThrow(
      /^version 1 of queue-worker was not published by Switchyard for "worker" and is not its recorded stable version 2: --to takes only those/,
    );
    expect(plane.aliases()[WORKER]).toEqual({ version: "3", weights: {} });
  });

  it("refuses a version that does not exist, and changes nothing", async () => {
    const config = example();
    await twoDeploys(config);
    const before = await readDeployment(plane.store, "worker");

    await expect(to(config, "99")).rejects.toThrow(/^version 99 of queue-worker does not exist/);
    expect(await readDeployment(plane.store, "worker")).toEqual(before);
  });

  it("refuses while a deployment shifts, naming the verbs that settle it first", async () => {
    const config = example();
    plane = await startControlPlane(config, { start });
    plane.account.ecr.pushImage("queue-worker", "stable", "a");
    await untilAlias(plane, WORKER, { version: "1", weights: { "2": 0.1 } });

    await expect(to(config, "1")).rejects.toThrow(
      /^deployment "worker" is shifting \(execution .*\): run `switchyard abandon worker` or `switchyard rollback worker` first/,
    );
    expect(plane.aliases()[WORKER]).toEqual({ version: "1", weights: { "2": 0.1 } });
  });

  it("refuses a version whose image the newest scan blocks", async () => {
    const config = example();
    plane = await startControlPlane(config, { start });
    const scan = (id: string, time: string, counts: Record<string, number>) =>
      variant<{ id: string; time: string; detail: Record<string, unknown> }>(
        "scenarios/image-scan-clean.json",
        (e) => {
          e.id = id;
          e.time = time;
          e.detail["finding-severity-counts"] = counts;
        },
      ) as never;
    await plane.deliver(
      variant("aws/ecr/image-push.json", (e: { id: string }) => (e.id = "push-1")) as never,
    );
    await plane.deliver(scan("scan-clean", "2019-11-16T01:56:00Z", { LOW: 1 }));
    await plane.runOut();
    expect(plane.aliases()[API]).toEqual({ version: "2", weights: {} });
    // A rescan of the same digest, later, finds a CRITICAL vulnerability.
    await plane.deliver(
      scan("scan-critical", new Date(plane.account.clock.now()).toISOString(), { CRITICAL: 1 }),
    );

    await expect(operatorRollbackTo(config, target(), "api", "2", "try again", "alice")).rejects.toThrow(
      /^version 2 runs sha256:\S+, which its newest scan blocks \(1 CRITICAL finding/,
    );
  });

  it("with a version already serving, settles the record and says so", async () => {
    const config = example();
    await twoDeploys(config);

    const out = await to(config, "3", "pin the current one");

    expect(out.outcome).toBe("already-on-version");
    expect(await readDeployment(plane.store, "worker")).toMatchObject({ stableVersion: "3" });
  });
});
