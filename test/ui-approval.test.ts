import { join } from "node:path";
import type { BrowserContext } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchBrowser, openDashboard, textOf } from "./support/browser.ts";
import { inRepo } from "./support/cli.ts";
import { type RunningDev, startDev } from "./support/dev.ts";
import { fixture } from "./support/scenario.ts";

/** `switchyard dev` and a browser on a loaded 2-core machine: slow to start. */
const SLOW = 240_000;
const SCREENSHOTS = process.env.SWITCHYARD_SCREENSHOTS;

/**
 * The dashboard's Approve / Deny buttons for a deployment waiting at its approval gate, in a real
 * headless browser against a `switchyard dev` on a config whose 10% canary waits for approval
 * before its 100% step (test/fixtures/config/approval-gate.json).
 */
describe("the dashboard, on a canary that waits for approval", { timeout: SLOW }, () => {
  let browser: BrowserContext | undefined;
  let dev: RunningDev | undefined;
  beforeAll(async () => {
    [browser, dev] = await Promise.all([
      launchBrowser(),
      startDev(["--config", inRepo("test/fixtures/config/approval-gate.json"), "--speed", "0"]),
    ]);
  }, SLOW);
  afterAll(async () => {
    await browser?.close();
    await dev?.stop();
  });

  it("asks for a reason, then sends the approval to the waiting workflow, recorded with who and why", async () => {
    if (!browser || !dev) throw new Error("the browser or switchyard dev did not start");
    const page = await openDashboard(browser, dev.url);
    await page.getByLabel("Acting as").fill("erin");
    const [push, scan] = fixture<unknown[]>("scenarios/canary-clean.json");
    await dev.api("api/events", [push, scan]);
    // A few seconds for Lambda to apply the code, then the 10% step's 5-minute bake: the gate waits.
    await dev.api("api/advance", { duration: "10s" });
    await dev.api("api/advance", { duration: "5m" });

    const card = page.getByTestId("deployment-api");
    await textOf(page.getByTestId("deployment-approval-api"), /WAITING FOR APPROVAL of step 2 since /);
    expect(await page.getByTestId("routing-api").textContent()).toBe("v1 90% / v2 10%");
    await card.getByRole("button", { name: "Deny step 2 of api" }).click();
    await textOf(page.getByRole("status"), /^Give a reason to deny step 2 of api/);
    if (SCREENSHOTS) await page.screenshot({ path: join(SCREENSHOTS, "dashboard-approval.png") });

    await page.getByLabel("Reason to approve or deny step 2 of api").fill("canary dashboards look normal");
    await card.getByRole("button", { name: "Approve step 2 of api" }).click();

    await textOf(page.getByRole("status"), /Approve step 2 of api: done by erin/);
    await textOf(page.getByTestId("routing-api"), /^v2 100%$/);
    await textOf(page.getByTestId("deployment-status-api"), /SUCCEEDED v1 → v2/);
    expect(await card.getByTestId("deployment-approval-api").count()).toBe(0);
    const { body: history } = await dev.api<{ decision: string; reason: string }[]>("api/history");
    expect(history).toContainEqual(
      expect.objectContaining({
        decision: "approved",
        reason: "erin approved step 2: canary dashboards look normal",
      }),
    );
    await page.close();
  });
});
