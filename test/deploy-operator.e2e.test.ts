import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect } from "vitest";
import type { ControlPlane } from "../packages/cli/src/local/control-plane.ts";
import { setPaused } from "../packages/cli/src/ops.ts";
import { executionOutcome } from "../packages/cli/src/replay.ts";
import { type DeploymentAction, operateDeployment } from "../packages/core/src/deployments/operator.ts";
import { listAudit, readDeployment } from "../packages/core/src/store/state.ts";
import { inRepo } from "./support/cli.ts";
import { consoleReplayOutcome, untilAlias } from "./support/deploy.ts";
import { startDev } from "./support/dev.ts";
import { it } from "./support/plane.ts";
import { fixture } from "./support/scenario.ts";

// Operator control of one deployment (issue #12, ADR 0029): deploy by hand, break-glass,
// pause|resume DEPLOYMENT, retry (redrive) and abort (= rollback), fenced and audited.

const WORKER = "queue-worker:live";
const by = "alice";
const act = (
  plane: ControlPlane,
  action: Omit<DeploymentAction, "by" | "deployment"> & { deployment?: string },
) => operateDeployment(plane.context, { by, deployment: "worker", ...action } as DeploymentAction);

/** The worker's canary (10→25→50→75→100, 1 min bakes) started by a push, at its 10% step. */
async function atTenPercent(plane: ControlPlane) {
  plane.account.ecr.pushImage("queue-worker", "stable", "a");
  await untilAlias(plane, WORKER, { version: "1", weights: { "2": 0.1 } });
}

/** A push whose 100% shift fails five times (retries exhausted): the execution fails in place. */
async function failedInPlace(plane: ControlPlane) {
  plane.account.injectFault({
    service: "lambda",
    action: "UpdateAlias",
    error: "ServiceException",
    times: 5,
    when: (input) => input.FunctionVersion === "2",
  });
  plane.account.ecr.pushImage("queue-worker", "stable", "a");
  await plane.runOut();
}

const decisions = async (plane: ControlPlane) => (await listAudit(plane.store)).map((a) => a.decision);

describe("pause|resume DEPLOYMENT", () => {
  it("holds one rollout at its step until resumed, past the alarm hold's limit, then goes on to 100%", async ({
    plane,
  }) => {
    await atTenPercent(plane);

    const paused = await act(plane, { verb: "pause", reason: "watch the canary" });
    for (let i = 0; i < 40; i++) {
      plane.account.clock.advance();
      await plane.settle();
    }

    expect(paused.outcome).toBe("paused");
    expect(plane.aliases()[WORKER]).toEqual({ version: "1", weights: { "2": 0.1 } });
    expect((await readDeployment(plane.store, "worker"))?.status).toBe("shifting");
    await act(plane, { verb: "resume", reason: "looks fine" });
    await plane.runOut();
    expect(plane.aliases()[WORKER]).toEqual({ version: "2", weights: {} });
    expect(await decisions(plane)).toEqual(
      expect.arrayContaining(["rollout-paused", "rollout-resumed", "deployed"]),
    );
  });

  it("holds only the rollout it was put on: the next push of the deployment is not held", async ({
    plane,
  }) => {
    await atTenPercent(plane);
    await act(plane, { verb: "pause", reason: "hold" });

    plane.account.ecr.pushImage("queue-worker", "stable", "b");
    await plane.runOut();

    // The newer push superseded the held rollout (onNewerImage "supersede") and was not held itself.
    expect(plane.aliases()[WORKER]).toEqual({ version: "3", weights: {} });
  });

  it("refuses to pause a deployment with nothing in flight, naming the kill switch for all automation", async ({
    plane,
  }) => {
    await expect(act(plane, { verb: "pause", reason: "x" })).rejects.toThrow(
      /^deployment "worker" has no rollout in flight \(no record\): nothing to pause; to stop all automation use `switchyard pause --reason …`/,
    );
  });
});

describe("abort DEPLOYMENT", () => {
  it("rolls the rollout back to the stable version, stops its execution and fences it off", async ({
    plane,
  }) => {
    await atTenPercent(plane);
    const before = await readDeployment(plane.store, "worker");

    const out = await act(plane, { verb: "abort", reason: "INC-42" });
    await plane.runOut();

    expect(out.outcome).toBe("rolled-back");
    expect(plane.aliases()[WORKER]).toEqual({ version: "1", weights: {} });
    expect(await readDeployment(plane.store, "worker")).toMatchObject({
      status: "rolled-back",
      reason: "aborted by alice: INC-42",
      generation: (before?.generation ?? 0) + 1,
    });
    const [execution] = plane.account.sfn.executions();
    expect(execution?.status).toBe("ABORTED");
    expect((await listAudit(plane.store)).find((a) => a.decision === "aborted")?.reason).toMatch(
      /^alice: INC-42; /,
    );
  });

  it("leaves a console replay of the aborted rollout's input stale", async ({ plane }) => {
    await atTenPercent(plane);
    await act(plane, { verb: "abort", reason: "INC-42" });
    const [aborted] = plane.account.sfn.executions();

    expect(await consoleReplayOutcome(plane, "console-replay-after-abort", aborted?.input)).toBe("stale");
    expect(plane.aliases()[WORKER]).toEqual({ version: "1", weights: {} });
  });
});

describe("retry DEPLOYMENT", () => {
  it("redrives an execution that failed in place from its failed step, and it finishes the rollout", async ({
    plane,
  }) => {
    await failedInPlace(plane);
    const [failed] = plane.account.sfn.executions();
    expect(failed?.status).toBe("FAILED");
    expect((await readDeployment(plane.store, "worker"))?.status).toBe("shifting");

    const out = await act(plane, { verb: "retry", reason: "Lambda recovered" });
    await plane.runOut();

    expect(out.outcome).toBe("redriven");
    expect(plane.account.sfn.executions()).toHaveLength(1);
    expect(plane.account.sfn.executions()[0]?.status).toBe("SUCCEEDED");
    expect(plane.aliases()[WORKER]).toEqual({ version: "2", weights: {} });
    expect((await listAudit(plane.store)).find((a) => a.decision === "retried")?.reason).toMatch(
      /^alice: Lambda recovered; redrive 1 of worker-.+ \(it had FAILED\)$/,
    );
  });

  it("refuses a retry more than 14 days after the execution failed, as Step Functions does", async ({
    plane,
  }) => {
    await failedInPlace(plane);
    plane.account.clock.tick(15 * 86_400_000);

    await expect(act(plane, { verb: "retry", reason: "too late" })).rejects.toThrow(
      /^worker-.+ cannot be redriven \(.+\): abort it with `switchyard abort worker --reason …`, then deploy again$/,
    );
    expect(plane.account.sfn.executions()[0]?.status).toBe("FAILED");
  });

  it("refuses a retry once the rollout is settled: the redrive would end stale", async ({ plane }) => {
    await atTenPercent(plane);
    await act(plane, { verb: "abort", reason: "INC-42" });

    await expect(act(plane, { verb: "retry", reason: "again" })).rejects.toThrow(
      /^deployment "worker" is rolled-back \(aborted by alice: INC-42\): a redrive would end stale; start a new one with `switchyard deploy worker --tag TAG`$/,
    );
  });

  it("refuses a retry while the execution still runs", async ({ plane }) => {
    await atTenPercent(plane);

    await expect(act(plane, { verb: "retry", reason: "again" })).rejects.toThrow(
      /is still running: nothing to retry$/,
    );
  });
});

describe("deploy DEPLOYMENT by hand", () => {
  it("starts the tag's image through the same path as a push, and starts it once when asked twice", async ({
    plane,
  }) => {
    const digest = plane.account.ecr.pushImage("queue-worker", "v2", "hand");
    await plane.settle();

    const first = await act(plane, { verb: "deploy", tag: "v2", reason: "deployed by hand" });
    const again = await act(plane, { verb: "deploy", tag: "v2", reason: "deployed by hand" });
    await plane.runOut();

    expect(first.outcome).toBe("started");
    expect(again.outcome).toBe("duplicate");
    expect(plane.account.sfn.executions()).toHaveLength(1);
    const input = JSON.parse(String(plane.account.sfn.executions()[0]?.input));
    expect(input).toMatchObject({
      imageUri: `123456789012.dkr.ecr.us-east-1.amazonaws.com/queue-worker@${digest}`,
      steps: [
        { weight: 0.1, pauseSeconds: 60 },
        { weight: 0.25, pauseSeconds: 60 },
        { weight: 0.5, pauseSeconds: 60 },
        { weight: 0.75, pauseSeconds: 60 },
        { weight: 1, pauseSeconds: 0 },
      ],
      trigger: { source: "switchyard.operator", detailType: "Manual Deploy" },
    });
    expect(plane.aliases()[WORKER]).toEqual({ version: "2", weights: {} });
  });

  it("refuses an image of another repository, naming the repository it takes", async ({ plane }) => {
    await expect(
      act(plane, {
        verb: "deploy",
        image: "123456789012.dkr.ecr.us-east-1.amazonaws.com/other:v2",
        reason: "x",
      }),
    ).rejects.toThrow(
      /^--image 123456789012\.dkr\.ecr\.us-east-1\.amazonaws\.com\/other:v2 is not an image of worker's repository: give 123456789012\.dkr\.ecr\.us-east-1\.amazonaws\.com\/queue-worker:TAG/,
    );
    expect(plane.account.sfn.executions()).toHaveLength(0);
  });

  it("refuses a tag that is not in ECR", async ({ plane }) => {
    await expect(act(plane, { verb: "deploy", tag: "nope", reason: "x" })).rejects.toThrow(
      /^no image queue-worker:nope in ECR: push it first/,
    );
  });
});

describe("break-glass", () => {
  it("skips the alarm checks and the steps: one write to 100%, audited and notified loudly", async ({
    plane,
  }) => {
    plane.account.ecr.pushImage("queue-worker", "hotfix", "fix");
    await plane.settle();
    plane.account.cloudwatch.observeState("WorkerErrors", "ALARM");

    const out = await act(plane, {
      verb: "deploy",
      tag: "hotfix",
      breakGlass: true,
      reason: "INC-42 outage",
    });
    await plane.runOut();

    expect(out.outcome).toBe("started");
    expect(plane.aliases()[WORKER]).toEqual({ version: "2", weights: {} });
    const writes = plane.account.calls.filter((c) => c.action === "UpdateAlias" && c.service === "lambda");
    expect(writes).toHaveLength(1);
    expect((await listAudit(plane.store)).find((a) => a.decision === "break-glass")?.reason).toMatch(
      /^alice: INC-42 outage; queue-worker@sha256:[0-9a-f]{64} straight to 100%, gates and alarm checks skipped$/,
    );
    const subjects = plane.account.sns.published().map((m) => m.Subject);
    expect(subjects).toContain("Switchyard: BREAK-GLASS worker: gates skipped, straight to 100%");
  });

  it("supersedes a rollout in flight", async ({ plane }) => {
    await atTenPercent(plane);
    plane.account.ecr.pushImage("queue-worker", "hotfix", "fix");
    await plane.settle();

    await act(plane, { verb: "deploy", tag: "hotfix", breakGlass: true, reason: "INC-42" });
    await plane.runOut();

    expect(plane.aliases()[WORKER]).toEqual({ version: "3", weights: {} });
    expect(executionOutcome(plane.account.sfn.executions()[0] as never)).not.toBe("deployed");
  });

  it("is refused while the rollout is paused, unless forced", async ({ plane }) => {
    await atTenPercent(plane);
    await act(plane, { verb: "pause", reason: "hold" });
    plane.account.ecr.pushImage("queue-worker", "hotfix", "fix");
    await plane.settle();

    await expect(
      act(plane, { verb: "deploy", tag: "hotfix", breakGlass: true, reason: "INC-42" }),
    ).rejects.toThrow(
      /^deployment "worker" is paused by alice: hold: break-glass would supersede the held rollout; add --force/,
    );
    const forced = await act(plane, {
      verb: "deploy",
      tag: "hotfix",
      breakGlass: true,
      force: true,
      reason: "INC-42",
    });
    await plane.runOut();

    expect(forced.outcome).toBe("started");
    expect(plane.aliases()[WORKER]).toEqual({ version: "3", weights: {} });
  });

  it("is refused while automation is paused: the kill switch stays", async ({ plane }) => {
    plane.account.ecr.pushImage("queue-worker", "hotfix", "fix");
    await plane.settle();
    await setPaused(
      { deps: plane.context, where: "test", close: async () => undefined },
      true,
      "game day",
      by,
    );

    await expect(
      act(plane, { verb: "deploy", tag: "hotfix", breakGlass: true, force: true, reason: "INC-42" }),
    ).rejects.toThrow(
      /^automation is paused \(game day\): no deployment starts, break-glass included; `switchyard resume --reason …` first$/,
    );
    expect(plane.account.sfn.executions()).toHaveLength(0);
  });
});

describe("the operator verbs on a running switchyard dev (locally, through its journal)", {
  timeout: 240_000,
}, () => {
  it("pauses, resumes and aborts one rollout, and refuses a deploy of an image not in ECR, each in one line with its exit code", async () => {
    const dev = await startDev(["--config", inRepo("switchyard.config.ts"), "--speed", "0"]);
    try {
      const [push, scan] = fixture<unknown[]>("scenarios/canary-rolled-back.json");
      const file = join(dev.cwd, "canary.json");
      writeFileSync(file, JSON.stringify([push, scan]));
      expect((await dev.cli("send", file)).code).toBe(0);
      await dev.cli("advance", "10s");

      const paused = await dev.cli("pause", "api", "--reason", "watch it", "--by", "alice");
      expect(paused).toMatchObject({ code: 0 });
      expect(paused.stdout).toMatch(
        /^paused: api-.+ holds before its next step; resume with `switchyard resume api --reason …`\n$/,
      );
      await dev.cli("advance", "30m");
      const status = JSON.parse((await dev.cli("status", "--json")).stdout) as {
        deployments: { deployment: string; serving: string }[];
      };
      expect(status.deployments.find((d) => d.deployment === "api")?.serving).toBe(
        "version 1 with 10% on version 2",
      );

      expect((await dev.cli("resume", "api", "--reason", "fine")).stdout).toMatch(/^resumed: /);
      const aborted = await dev.cli("abort", "api", "--reason", "INC-42", "--json");
      expect(aborted.code).toBe(0);
      expect(JSON.parse(aborted.stdout)).toMatchObject({ outcome: "rolled-back" });

      const again = await dev.cli("abort", "api", "--reason", "twice");
      expect(again.code).toBe(1);
      expect(again.stderr).toMatch(
        /^switchyard: deployment "api" has no rollout in flight \(rolled-back\): nothing to abort/,
      );
      const retry = await dev.cli("retry", "api");
      expect(retry.code).toBe(2);

      // A sent push event names an image the simulated registry never held: deploy by hand refuses it.
      const deployed = await dev.cli("deploy", "api", "--tag", "latest", "--by", "alice");
      expect(deployed).toMatchObject({
        code: 1,
        stderr: "switchyard: no image my-repository-name:latest in ECR: push it first, or name another tag\n",
      });
    } finally {
      await dev.stop();
    }
  });
});
