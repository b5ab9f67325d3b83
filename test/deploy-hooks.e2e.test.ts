import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { type ControlPlane, startControlPlane } from "../packages/cli/src/local/control-plane.ts";
import { executionOutcome } from "../packages/cli/src/replay.ts";
import { playScenario } from "../packages/cli/src/scenarios.ts";
import type { Config } from "../packages/core/src/config/index.ts";
import {
  type HookEvent,
  putLifecycleEventHookExecutionStatus,
} from "../packages/core/src/deployments/hooks.ts";
import { listAudit, readDeployment } from "../packages/core/src/store/state.ts";
import { example } from "./support/scenario.ts";

// Issue #12, traffic hooks: CodeDeploy's BeforeAllowTraffic / AfterAllowTraffic for Lambda, as a
// Lambda function that reports through the callback, or an HTTP probe against a real server.

const WORKER = "queue-worker:live";
const start = Date.parse("2019-11-16T01:54:34Z");

/** A real HTTP server on loopback: /health answers what the test sets. */
let server: Server;
let health = { status: 200, body: '{"status":"ok"}' };
let url = "";
beforeAll(async () => {
  server = createServer((_req, res) => {
    res.writeHead(health.status, { "content-type": "application/json" });
    res.end(health.body);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/health`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

const withHooks = (hooks: unknown): Config =>
  example((raw) => ({
    ...raw,
    deployments: raw.deployments?.map((d) =>
      d.name === "worker" ? { ...d, strategy: "Canary10Percent5Minutes", hooks } : d,
    ),
  }));

describe("traffic hooks (issue #12)", () => {
  let plane: ControlPlane;
  afterEach(async () => plane?.close());

  /** Registers `smoke-test` as the hook function: it records its event and reports `status` (or nothing). */
  async function deployWithSmokeTest(hooks: unknown, status: "Succeeded" | "Failed" | "silent") {
    plane = await startControlPlane(withHooks(hooks), { start });
    const seen: HookEvent[] = [];
    plane.account.lambda.registerHandler("smoke-test", async (event) => {
      const hook = event as HookEvent;
      seen.push(hook);
      if (status === "silent") return null;
      return putLifecycleEventHookExecutionStatus(plane.clients.sfn, {
        deploymentId: hook.DeploymentId,
        lifecycleEventHookExecutionId: hook.LifecycleEventHookExecutionId,
        status,
      });
    });
    plane.account.ecr.pushImage("queue-worker", "stable", "a");
    await plane.runOut();
    const [execution] = plane.account.sfn.executions();
    const audit = (await listAudit(plane.store)).filter((a) => a.subject === "worker");
    return { execution, seen, audit, record: await readDeployment(plane.store, "worker") };
  }

  it("runs a BeforeAllowTraffic Lambda hook with the deployment and a hook execution id, then shifts", async () => {
    const { execution, seen, audit } = await deployWithSmokeTest(
      { beforeAllowTraffic: [{ lambda: { function: "smoke-test" } }] },
      "Succeeded",
    );

    expect(execution && executionOutcome(execution)).toBe("deployed");
    expect(plane.aliases()[WORKER]).toEqual({ version: "2", weights: {} });
    expect(seen).toHaveLength(1);
    expect(seen[0]?.DeploymentId).toBe("worker");
    expect(seen[0]?.LifecycleEventHookExecutionId).toEqual(expect.any(String));
    expect(seen[0]?.Switchyard).toMatchObject({ lifecycleEvent: "BeforeAllowTraffic", newVersion: "2" });
    const decisions = audit.map((a) => a.decision);
    expect(decisions.indexOf("hook-started")).toBeLessThan(decisions.indexOf("shifted"));
  });

  it("leaves the alias untouched and abandons the deployment when a BeforeAllowTraffic hook reports Failed", async () => {
    const { execution, audit, record } = await deployWithSmokeTest(
      { beforeAllowTraffic: [{ lambda: { function: "smoke-test" } }] },
      "Failed",
    );

    expect(execution && executionOutcome(execution)).not.toBe("deployed");
    expect(plane.aliases()[WORKER]).toEqual({ version: "1", weights: {} });
    expect(audit.some((a) => a.decision === "shifted")).toBe(false);
    expect(record?.status).toBe("abandoned");
    expect(record?.reason).toMatch(/BeforeAllowTraffic hook lambda smoke-test reported Failed/);
  });

  it("abandons the deployment when a hook never reports within its timeout", async () => {
    const { audit, record } = await deployWithSmokeTest(
      { beforeAllowTraffic: [{ lambda: { function: "smoke-test", timeout: "2m" } }] },
      "silent",
    );

    expect(plane.aliases()[WORKER]).toEqual({ version: "1", weights: {} });
    expect(audit.some((a) => a.decision === "shifted")).toBe(false);
    expect(record?.reason).toMatch(/did not report within 120 s/);
  });

  it("passes an AfterAllowTraffic HTTP probe that gets the expected status and body", async () => {
    health = { status: 200, body: '{"status":"ok"}' };
    const { execution, audit } = await deployWithSmokeTest(
      { afterAllowTraffic: [{ http: { url, expectedStatus: 200, bodyMatch: '"status":\\s*"ok"' } }] },
      "Succeeded",
    );

    expect(execution && executionOutcome(execution)).toBe("deployed");
    expect(audit.find((a) => a.decision === "hook-passed")?.reason).toMatch(/AfterAllowTraffic probe/);
  });

  it("rolls back after 100% when an AfterAllowTraffic probe keeps failing, after its retries", async () => {
    health = { status: 503, body: "down" };
    const { execution, audit, record } = await deployWithSmokeTest(
      { afterAllowTraffic: [{ http: { url, timeout: "1s", retries: 1 } }] },
      "Succeeded",
    );

    expect(execution && executionOutcome(execution)).toBe("rolled-back");
    expect(plane.aliases()[WORKER]).toEqual({ version: "1", weights: {} });
    expect(audit.find((a) => a.decision === "hook-failed")?.reason).toMatch(
      /status 503, expected 200 after 2 attempt\(s\)/,
    );
    expect(record?.status).toBe("rolled-back");
  });

  it("says a late report changed nothing once the wait is over", async () => {
    plane = await startControlPlane(withHooks(undefined), { start });
    const out = await putLifecycleEventHookExecutionStatus(plane.clients.sfn, {
      deploymentId: "worker",
      lifecycleEventHookExecutionId: "no-such-token",
      status: "Succeeded",
    });
    expect(out.accepted).toBe(false);
  });
});

describe("the traffic-hooks scenarios", () => {
  for (const name of [
    "hooks-and-approval-canary",
    "pre-traffic-hook-fails-alias-untouched",
    "approval-denied-rolls-back",
  ])
    it(`plays ${name} as its expectations say`, async () => {
      const result = await playScenario(name, example());

      expect(result.failures).toEqual([]);
      expect(result.passed).toBe(true);
    });
});
