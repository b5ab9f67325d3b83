import { afterEach, describe, expect, it } from "vitest";
import { type ControlPlane, startControlPlane } from "../packages/cli/src/local/control-plane.ts";
import { type OpsTarget, operatorAbandon, setPaused } from "../packages/cli/src/ops.ts";
import { executionOutcome } from "../packages/cli/src/replay.ts";
import type { Config } from "../packages/core/src/config/index.ts";
import { listAudit, readDeployment } from "../packages/core/src/store/state.ts";
import { untilAlias } from "./support/deploy.ts";
import { example } from "./support/scenario.ts";

// A push queued behind a deployment (onNewerImage "queue") whose deployment ends while automation
// is paused stays queued, audited as held, and starts on resume (ADR 0020; issue #11).

const WORKER = "queue-worker:live";
const start = Date.parse("2019-11-16T01:54:34Z");

const queueing = (): Config =>
  example((raw) => ({
    ...raw,
    deployments: raw.deployments?.map((d) => (d.name === "worker" ? { ...d, onNewerImage: "queue" } : d)),
  }));

describe('a queued push whose turn comes while it cannot start (onNewerImage "queue")', () => {
  let plane: ControlPlane;
  afterEach(async () => plane?.close());
  const target = (): OpsTarget => ({ deps: plane.context, where: "test", close: async () => undefined });

  /** Deployment a at its 10% canary, push b queued behind it. */
  async function queuedBehindCanary(config: Config) {
    plane = await startControlPlane(config, { start });
    plane.account.ecr.pushImage("queue-worker", "stable", "a");
    await untilAlias(plane, WORKER, { version: "1", weights: { "2": 0.1 } });
    plane.account.ecr.pushImage("queue-worker", "stable", "b");
    await plane.settle();
    expect((await readDeployment(plane.store, "worker"))?.queued).toBeDefined();
  }

  it("stays queued, audited as held, when the deployment ahead of it ends while paused", async () => {
    await queuedBehindCanary(queueing());
    await setPaused(target(), true, "incident 4711", "alice");

    // a holds while paused until alarmHold.maxWait runs out, and is abandoned.
    await plane.runOut();

    const [a, ...others] = plane.account.sfn.executions();
    expect(a && executionOutcome(a)).toBe("abandoned");
    expect(others).toEqual([]);
    expect(await readDeployment(plane.store, "worker")).toMatchObject({ status: "abandoned" });
    expect((await readDeployment(plane.store, "worker"))?.queued).toBeDefined();
    const held = (await listAudit(plane.store)).find((x) => x.decision === "held" && /queued/.test(x.reason));
    expect(held?.reason).toMatch(
      /^held: automation paused \(incident 4711\): the push queued since .* stays queued; `switchyard resume` starts it/,
    );
  });

  it("starts on resume, and deploys", async () => {
    const config = queueing();
    await queuedBehindCanary(config);
    await setPaused(target(), true, "incident 4711", "alice");
    await plane.runOut();

    const started = await setPaused(target(), false, "incident over", "alice", config);
    await plane.runOut();

    expect(started).toHaveLength(1);
    const [, b] = plane.account.sfn.executions();
    expect(b?.arn).toBe(started[0]);
    expect(b && executionOutcome(b)).toBe("deployed");
    expect(plane.aliases()[WORKER]).toEqual({ version: "3", weights: {} });
    expect((await readDeployment(plane.store, "worker"))?.queued).toBeUndefined();
  });

  it("is held while the config says safety.paused, even after the kill switch is off", async () => {
    const config = queueing();
    await queuedBehindCanary(config);
    await setPaused(target(), true, "incident 4711", "alice");
    await plane.runOut();
    const stillPaused = example((raw) => ({
      ...raw,
      safety: { ...raw.safety, paused: true },
      deployments: raw.deployments?.map((d) => (d.name === "worker" ? { ...d, onNewerImage: "queue" } : d)),
    }));

    const started = await setPaused(target(), false, "kill switch off", "alice", stillPaused);

    expect(started).toEqual([]);
    expect(plane.account.sfn.executions()).toHaveLength(1);
    expect((await listAudit(plane.store)).at(-1)?.reason).toMatch(
      /^held: automation paused \(safety.paused is true in the config\)/,
    );
  });

  it("starts when an operator settles the deployment it waits for, whose execution had already ended", async () => {
    const config = queueing();
    plane = await startControlPlane(config, { start });
    // a's code-status poll keeps failing: its execution fails in place, the record stays shifting.
    plane.account.injectFault({
      service: "lambda",
      action: "GetFunctionConfiguration",
      error: "ServiceException",
      times: 5,
    });
    plane.account.ecr.pushImage("queue-worker", "stable", "a");
    await plane.runOut();
    plane.account.ecr.pushImage("queue-worker", "stable", "b");
    await plane.runOut();
    expect(plane.account.sfn.executions()).toHaveLength(1);
    expect((await readDeployment(plane.store, "worker"))?.queued).toBeDefined();

    const out = await operatorAbandon(config, target(), "worker", "stuck", "alice");
    await plane.runOut();

    expect(out.detail).toMatch(/the queued push started as /);
    const [, b] = plane.account.sfn.executions();
    expect(b && executionOutcome(b)).toBe("deployed");
    expect(plane.aliases()[WORKER]).toEqual({ version: "2", weights: {} });
  });

  it("gives way to a newer push that arrives after resume, so the older image never follows it", async () => {
    const config = queueing();
    await queuedBehindCanary(config);
    await setPaused(target(), true, "incident 4711", "alice");
    await plane.runOut();
    // The kill switch goes off without the config (a bare table write): the held push stays.
    await setPaused(target(), false, "incident over", "alice");

    plane.account.ecr.pushImage("queue-worker", "stable", "c");
    await plane.runOut();

    const executions = plane.account.sfn.executions();
    expect(executions).toHaveLength(2);
    expect(plane.aliases()[WORKER]).toEqual({ version: "3", weights: {} });
    expect((await readDeployment(plane.store, "worker"))?.queued).toBeUndefined();
    expect((await listAudit(plane.store)).find((x) => x.decision === "superseded")?.reason).toMatch(
      /replaces the push queued since .* which waited for automation to resume/,
    );
  });
});
