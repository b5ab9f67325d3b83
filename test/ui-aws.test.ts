import { spawn } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { BrowserContext } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ControlPlane, startControlPlane } from "../packages/cli/src/local/control-plane.ts";
import type { OpsTarget } from "../packages/cli/src/ops.ts";
import { READ_ONLY, serveAwsDashboard } from "../packages/cli/src/ui/aws.ts";
import { loadConfig } from "../packages/core/src/config/index.ts";
import { listAudit } from "../packages/core/src/store/state.ts";
import { startLocalDynamo } from "../packages/sim/src/index.ts";
import { awsCredentials, bareEnvironment } from "./support/aws.ts";
import { launchBrowser, openDashboard, textOf } from "./support/browser.ts";
import { inRepo } from "./support/cli.ts";
import { untilAlias } from "./support/deploy.ts";
import { eventually } from "./support/dev.ts";
import { START } from "./support/plane.ts";
import { fixture } from "./support/scenario.ts";

/**
 * `switchyard ui --aws` against an account, with no account: the dashboard reads through AWS
 * SDK clients whose requests the simulated account answers (the plug-in beneath the SDK every
 * local run uses), so the page shows a real canary in flight and a rollback clicked in it
 * reaches the account's alias. As a process, `ui --aws` finds the stack as `--aws` does
 * (test/cli-aws.test.ts): dynalite stands in for the state table.
 */

const SLOW = 240_000;
const ALIAS = "api-handler:live";
const [push, scan] = fixture<unknown[]>("scenarios/canary-rolled-back.json");

let browser: BrowserContext;
let plane: ControlPlane;
let target: OpsTarget;
const config = await loadConfig(inRepo("switchyard.config.ts"));

beforeAll(async () => {
  browser = await launchBrowser();
  // A canary in flight on the account: version 2 takes 10% of the alias.
  plane = await startControlPlane(config, { start: START });
  for (const event of [push, scan]) await plane.deliver(event as Parameters<ControlPlane["deliver"]>[0]);
  await untilAlias(plane, ALIAS, { version: "1", weights: { "2": 0.1 } });
  target = {
    deps: plane.context,
    where: "AWS account 123456789012 (region us-east-1, table switchyard-dev-state from stage dev)",
    close: async () => undefined,
  };
}, SLOW);
afterAll(async () => {
  await browser?.close();
  await plane?.close();
});

const machines = {
  failover: () => plane.context.failoverStateMachineArn,
  failback: () => plane.context.failbackStateMachineArn,
};
const serve = (allowActions: boolean) =>
  serveAwsDashboard(config, target, {
    port: 0,
    allowActions,
    operator: "operator",
    machines,
    pollMs: 250,
    log: () => undefined,
  });

describe("switchyard ui --aws", { timeout: SLOW }, () => {
  it("reads the account and, without --allow-actions, disables every action and refuses POSTs with 403", async () => {
    const server = await serve(false);
    try {
      const page = await openDashboard(browser, server.url);

      await textOf(page.getByTestId("routing-api"), /^v1 90% \/ v2 10%$/);
      await textOf(page.getByTestId("deployment-status-api"), /SHIFTING v1 → v2/);
      expect(await page.locator("#mode").textContent()).toBe(`${target.where}: ${READ_ONLY}`);
      const rollback = page.getByTestId("deployment-api").getByRole("button", { name: "Roll back" });
      expect(await rollback.isDisabled()).toBe(true);
      expect(await rollback.getAttribute("title")).toBe(READ_ONLY);
      const buttons = page.getByRole("button");
      expect(await buttons.count()).toBeGreaterThan(1);
      for (const button of await buttons.all()) expect(await button.getAttribute("title")).toBe(READ_ONLY);

      const refused = await fetch(new URL("api/actions", server.url), {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ do: "rollback", deployment: "api", reason: "should not happen" }),
      });
      expect(refused.status).toBe(403);
      expect(await refused.json()).toEqual({ error: READ_ONLY });
      expect(plane.aliases()[ALIAS]).toEqual({ version: "1", weights: { "2": 0.1 } });
      await page.close();
    } finally {
      await server.close();
    }
  });

  it("with --allow-actions, a rollback clicked in the page reaches the account, recorded with who and why", async () => {
    const server = await serve(true);
    try {
      const page = await openDashboard(browser, server.url);
      await page.getByLabel("Acting as").fill("erin");
      await page.getByLabel("Reason to roll back or promote api").fill("p99 latency up");
      await textOf(page.getByTestId("routing-api"), /^v1 90% \/ v2 10%$/);

      await page.getByTestId("deployment-api").getByRole("button", { name: "Roll back" }).click();

      await textOf(page.getByRole("status"), /Roll back api: done by erin/);
      await textOf(page.getByTestId("routing-api"), /^v1 100%$/);
      await textOf(page.getByTestId("deployment-status-api"), /ROLLED-BACK v1 → v2/);
      expect(plane.aliases()[ALIAS]).toEqual({ version: "1", weights: {} });
      expect(await listAudit(plane.store)).toContainEqual(
        expect.objectContaining({
          decision: "rolled-back",
          reason: expect.stringContaining("operator rollback by erin: p99 latency up"),
        }),
      );
      await page.close();
    } finally {
      await server.close();
    }
  });
});

describe("switchyard ui --aws, the command", { timeout: SLOW }, () => {
  let dynamo: Awaited<ReturnType<typeof startLocalDynamo>>;
  let configFile: string;
  beforeAll(async () => {
    dynamo = await startLocalDynamo("switchyard-dev-state");
    // A config that names nothing but the stack: the state table is all the account it reads.
    configFile = join(mkdtempSync(join(tmpdir(), "switchyard-ui-aws-")), "switchyard.config.json");
    writeFileSync(configFile, JSON.stringify({ name: "switchyard" }));
  });
  afterAll(() => dynamo?.close());

  /** Starts `switchyard ui --aws …` and waits for its address; stops it with SIGTERM. */
  async function ui(...args: string[]) {
    const child = spawn(
      process.execPath,
      [inRepo("packages/cli/bin/switchyard.js"), "ui", "--aws", "--stage", "dev", "--port", "0", ...args],
      {
        env: { ...bareEnvironment(), ...awsCredentials, AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint },
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d));
    child.stderr.on("data", (d: Buffer) => (stderr += d));
    // The whole banner, not only its first line: the command listens for SIGTERM once it has
    // printed it, and a test that acted on the first line alone could stop it a moment too early.
    const url = await eventually(
      "the dashboard's address and its banner",
      () => {
        if (child.exitCode !== null) throw new Error(`ui --aws exited ${child.exitCode}: ${stderr}`);
        return stdout.includes("stop with Ctrl-C")
          ? /dashboard on (http:\/\/127\.0\.0\.1:\d+\/)/.exec(stdout)?.[1]
          : undefined;
      },
      60_000,
    );
    return {
      url,
      stdout: () => stdout,
      stop: () =>
        new Promise<number | null>((resolve) => {
          child.once("exit", resolve);
          child.kill("SIGTERM");
        }),
    };
  }
  const post = (url: string, body: unknown) =>
    fetch(new URL("api/actions", url), {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
    });

  it("serves the stack's state read-only, refusing an action with a one-line reason", async () => {
    const run = await ui("--config", configFile);
    try {
      expect(run.stdout()).toContain("read-only (add --allow-actions to act)");
      const state = (await (await fetch(new URL("api/state", run.url))).json()) as Record<string, unknown>;
      expect(state).toMatchObject({
        killSwitch: { paused: false },
        account: { actions: false, readOnly: READ_ONLY },
      });
      const refused = await post(run.url, { do: "pause", reason: "drill" });
      expect(refused.status).toBe(403);
      expect(await refused.json()).toEqual({ error: READ_ONLY });
    } finally {
      expect(await run.stop()).toBe(0);
    }
  });

  it("with --allow-actions, pauses automation in the state table", async () => {
    const run = await ui("--config", configFile, "--allow-actions");
    try {
      const paused = await post(run.url, { do: "pause", reason: "drill", by: "frank" });
      expect(paused.status).toBe(200);
      const kill = (await (await fetch(new URL("api/kill-switch", run.url))).json()) as Record<
        string,
        unknown
      >;
      expect(kill).toMatchObject({ paused: true, reason: "drill", by: "frank" });
    } finally {
      expect(await run.stop()).toBe(0);
    }
  });
});
