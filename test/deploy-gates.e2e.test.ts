import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { DevPlane } from "../packages/cli/src/dev/engine.ts";
import { stateDir } from "../packages/cli/src/dev/journal.ts";
import { type ControlPlane, startControlPlane } from "../packages/cli/src/local/control-plane.ts";
import { executionOutcome } from "../packages/cli/src/replay.ts";
import { type Config, parseConfig } from "../packages/core/src/config/index.ts";
import { decideDeployApproval } from "../packages/core/src/deployments/gates.ts";
import { advanceGeneration, listAudit, readDeployment } from "../packages/core/src/store/state.ts";
import exampleConfig from "../switchyard.config.ts";
import { inRepo, switchyard } from "./support/cli.ts";
import { untilAlias } from "./support/deploy.ts";
import { example, fixture } from "./support/scenario.ts";

// Issue #12, manual approval gates: a step waits for `switchyard approve|deny DEPLOYMENT`
// (a task token), bounded by a timeout with onTimeout rollback or promote; fenced.

const WORKER = "queue-worker:live";
const start = Date.parse("2019-11-16T01:54:34Z");
const API = "api-handler:live";
const CANARY = { version: "1", weights: { "2": 0.1 } };

const gated = (approval: Record<string, unknown>): Config =>
  example((raw) => ({
    ...raw,
    deployments: raw.deployments?.map((d) =>
      d.name === "worker"
        ? { ...d, strategy: "Canary10Percent5Minutes", approvals: [{ beforeStep: 2, ...approval }] }
        : d,
    ),
  }));

describe("approval gates (issue #12)", () => {
  let plane: ControlPlane;
  afterEach(async () => plane?.close());

  /** The worker's canary at 10%, its 100% step waiting for approval. */
  async function waitingAtGate(approval: Record<string, unknown> = {}) {
    plane = await startControlPlane(gated(approval), { start });
    plane.account.ecr.pushImage("queue-worker", "stable", "a");
    await untilAlias(plane, WORKER, CANARY);
    await plane.runOut();
    return plane;
  }

  const audit = async () => (await listAudit(plane.store)).filter((a) => a.subject === "worker");

  it("waits before the gated step and tells a human exactly how to answer", async () => {
    await waitingAtGate();

    expect(plane.aliases()[WORKER]).toEqual(CANARY);
    expect(plane.account.sfn.executions()[0]?.status).toBe("RUNNING");
    const [message] = plane.account.sns
      .published()
      .filter((m) => /waits for approval/.test(String(m.Subject)));
    expect(String(message?.Message)).toContain('switchyard approve worker --reason \\"…\\"');
    expect(String(message?.Message)).toContain('switchyard deny worker --reason \\"…\\"');
    expect((await audit()).some((a) => a.decision === "awaiting-approval")).toBe(true);
  });

  it("shifts the gated step once approved, and records who approved and why", async () => {
    await waitingAtGate();

    await decideDeployApproval(plane.context, "worker", "approve", "alice", "canary metrics look good");
    await plane.runOut();

    expect(executionOutcome(plane.account.sfn.executions()[0] as never)).toBe("deployed");
    expect(plane.aliases()[WORKER]).toEqual({ version: "2", weights: {} });
    const approved = (await audit()).find((a) => a.decision === "approved");
    expect(approved?.reason).toBe("alice approved step 2: canary metrics look good");
    expect(approved?.details).toMatchObject({ by: "alice", reason: "canary metrics look good" });
  });

  it("rolls back when denied, with who denied and why", async () => {
    await waitingAtGate();

    await decideDeployApproval(plane.context, "worker", "deny", "bob", "p99 doubled");
    await plane.runOut();

    expect(plane.aliases()[WORKER]).toEqual({ version: "1", weights: {} });
    const record = await readDeployment(plane.store, "worker");
    expect(record?.status).toBe("rolled-back");
    expect(record?.reason).toBe("bob denied step 2: p99 doubled");
  });

  it("rolls back when nobody answers in time and onTimeout is rollback", async () => {
    await waitingAtGate({ timeout: "30m" });

    plane.account.clock.tick(31 * 60_000);
    await plane.runOut();

    expect(plane.aliases()[WORKER]).toEqual({ version: "1", weights: {} });
    expect((await readDeployment(plane.store, "worker"))?.reason).toMatch(
      /no answer to the approval of step 2 in time/,
    );
  });

  it("goes on when nobody answers in time and onTimeout is promote, and says so", async () => {
    await waitingAtGate({ timeout: "30m", onTimeout: "promote" });

    plane.account.clock.tick(31 * 60_000);
    await plane.runOut();

    expect(plane.aliases()[WORKER]).toEqual({ version: "2", weights: {} });
    expect((await audit()).some((a) => a.decision === "approval-timed-out")).toBe(true);
  });

  it("never moves traffic on a stale approval: the fence moved on since the wait began", async () => {
    await waitingAtGate();
    const record = await readDeployment(plane.store, "worker");
    await advanceGeneration(plane.store, "worker", record?.generation ?? 0, "observed: a change by hand");

    await expect(decideDeployApproval(plane.context, "worker", "approve", "eve", "late")).rejects.toThrow(
      /stale.*nothing was answered/,
    );
    await plane.settle();

    expect(plane.aliases()[WORKER]).toEqual(CANARY);
    expect((await audit()).some((a) => a.decision === "approved")).toBe(false);
  });

  it("takes one answer only: a second one finds nothing waiting", async () => {
    await waitingAtGate();

    await decideDeployApproval(plane.context, "worker", "approve", "alice", "ok");
    await expect(decideDeployApproval(plane.context, "worker", "deny", "bob", "no")).rejects.toThrow(
      /not waiting for approval/,
    );
    // The approved step runs on: let it end before the plane closes under it.
    await plane.runOut();
  });

  it("refuses an approval before a step the strategy does not have, naming the field and the fix", () => {
    const raw = structuredClone(exampleConfig);
    const worker = raw.deployments?.find((d) => d.name === "worker") as Record<string, unknown>;
    worker.strategy = "Canary10Percent5Minutes";
    worker.approvals = [{ beforeStep: 3 }];
    expect(() => parseConfig(raw)).toThrow(/approvals\[0\]\.beforeStep.*strategy has 2 step\(s\)/);
  });
});

describe("switchyard approve|deny DEPLOYMENT (issue #12)", () => {
  it("answers a gate of the running dev through its journal, and a restart replays the answer", async () => {
    const dir = stateDir(mkdtempSync(join(tmpdir(), "switchyard-gates-")));
    const config = example((raw) => ({
      ...raw,
      deployments: raw.deployments?.map((d) =>
        d.name === "api" ? { ...d, approvals: [{ beforeStep: 2 }] } : d,
      ),
    }));
    const [push, scan] = fixture<unknown[]>("scenarios/canary-rolled-back.json");
    const open = () => DevPlane.open({ config, dir, speed: 0, start });
    const dev = await open();
    try {
      await dev.send(push, "test");
      await dev.send(scan, "test");
      await dev.advance(10 * 60_000);
      expect(dev.plane.aliases()[API]).toEqual(CANARY);

      const answer = await dev.act({
        do: "deploy-approve",
        deployment: "api",
        reason: "looks good",
        by: "alice",
      });
      await dev.advance(60_000);

      expect(answer).toMatchObject({ ok: true, result: { step: 2 } });
      expect(dev.plane.aliases()[API]).toEqual({ version: "2", weights: {} });
    } finally {
      await dev.close();
    }
    const again = await open();
    try {
      expect(again.plane.aliases()[API]).toEqual({ version: "2", weights: {} });
      const approved = (await listAudit(again.plane.store)).find((a) => a.decision === "approved");
      expect(approved?.reason).toBe("alice approved step 2: looks good");
    } finally {
      await again.close();
    }
  });

  it("needs --reason, and says a gate waits only in a running dev or the real account", () => {
    const noReason = switchyard("approve", "worker", "--config", inRepo("switchyard.config.ts"));
    const noDev = switchyard(
      "approve",
      "worker",
      "--reason",
      "ok",
      "--config",
      inRepo("switchyard.config.ts"),
    );

    expect(noReason.code).toBe(2);
    expect(noReason.stderr).toMatch(/approve worker needs --reason/);
    expect(noDev.code).toBe(2);
    expect(noDev.stderr).toMatch(/start `switchyard dev`, or answer the real account with --aws/);
  });
});
