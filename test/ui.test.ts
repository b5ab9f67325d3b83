import { writeFileSync } from "node:fs";
import { join } from "node:path";
import type { BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchBrowser, openDashboard, textOf } from "./support/browser.ts";
import { inRepo } from "./support/cli.ts";
import { eventually, type RunningDev, startDev, watchStatus } from "./support/dev.ts";
import { fixture } from "./support/scenario.ts";

/** Each test starts `switchyard dev` and runs commands as processes: slow on a loaded 2-core machine. */
const SLOW = 240_000;

/**
 * The dashboard in a real headless browser: Debian's chromium, driven by playwright-core,
 * against a `switchyard dev` started for the test. `npm test`'s pretest installs chromium.
 */

const [push, scan, alarm] = fixture<unknown[]>("scenarios/canary-rolled-back.json");
const RDS_ANOMALY = "a1e5c0de-0002-4c3e-9d5e-1c2d3e4f5a6b";
const SCREENSHOTS = process.env.SWITCHYARD_SCREENSHOTS;

let browser: BrowserContext;
beforeAll(async () => {
  browser = await launchBrowser();
}, SLOW);
afterAll(async () => {
  await browser?.close();
});

/** A `switchyard dev` on a config (virtual time stopped) for the tests of the describe block that calls it. */
function devOn(config: string): () => RunningDev {
  let running: RunningDev | undefined;
  beforeAll(async () => {
    running = await startDev(["--config", inRepo(config), "--speed", "0"]);
  }, SLOW);
  afterAll(async () => {
    await running?.stop();
  });
  return () => {
    if (!running) throw new Error(`switchyard dev on ${config} did not start`);
    return running;
  };
}

const open = (dev: RunningDev, viewport?: { width: number; height: number }): Promise<Page> =>
  openDashboard(browser, dev.url, viewport);

describe("the dashboard, on a canary rolled back by its alarm", { timeout: SLOW }, () => {
  const dev = devOn("switchyard.config.ts");

  it("shows the weights change live, then the rollback with its reason", async () => {
    const page = await open(dev());
    const routing = page.getByTestId("routing-api");
    expect(await textOf(routing, /^v1 100%$/)).toBe("v1 100%");

    await dev().api("api/events", [push, scan]);
    // Lambda applies the new code for a few seconds of virtual time before the first shift.
    await dev().api("api/advance", { duration: "10s" });
    await textOf(routing, /^v1 90% \/ v2 10%$/);
    const card = page.getByTestId("deployment-api");
    await textOf(page.getByTestId("deployment-status-api"), /SHIFTING v1 → v2/);
    expect(await card.textContent()).toMatch(/Step1 of 2 \(10% on the new version\)/);
    expect(await card.textContent()).toMatch(/Bake left0:0[45]:\d\d/);
    expect(await card.textContent()).toMatch(/ServerCpuTooHigh: ✓ OK/);
    expect(await card.textContent()).toMatch(
      /COMPLETE: LOW 3, INFORMATIONAL 1 \(gate blocks at HIGH and above\)/,
    );
    expect(await card.locator("svg title").textContent()).toBe(
      "Traffic on api-handler:live over time: now v1 90% / v2 10%",
    );

    await dev().api("api/advance", { duration: "1m" });
    await dev().api("api/events", alarm);
    await textOf(routing, /^v1 100%$/);
    await textOf(page.getByTestId("deployment-status-api"), /ROLLED-BACK v1 → v2/);
    const timeline = await textOf(page.locator("#timeline-body"), /rolled-back/);
    expect(timeline).toContain("alarm ServerCpuTooHigh went to ALARM");
    // The chart keeps the history: 100%, then 90/10, then 100% again.
    const rows = await card.locator("details table tbody tr").allTextContents();
    expect(rows.map((r) => r.replace(/^.*Z/, ""))).toEqual(["v1 100%", "v1 90% / v2 10%", "v1 100%"]);

    if (SCREENSHOTS) await page.screenshot({ path: join(SCREENSHOTS, "dashboard-desktop.png") });
    await page.setViewportSize({ width: 390, height: 844 });
    if (SCREENSHOTS) await page.screenshot({ path: join(SCREENSHOTS, "dashboard-narrow.png") });
    await page.close();
  });

  it("pauses automation from the keyboard, recorded with who and why", async () => {
    const page = await open(dev());
    // From the name field, Tab walks the controls in reading order: the kill switch's reason, then its button.
    await page.getByLabel("Acting as").fill("carol");
    await page.keyboard.press("Tab");
    await page.keyboard.type("keyboard drill");
    await page.keyboard.press("Tab");
    expect(await page.evaluate("document.activeElement?.textContent")).toBe("Pause all automation");
    await page.keyboard.press("Enter");

    await textOf(page.locator("#kill-switch-body"), /Automation: ✗ PAUSED — keyboard drill \(by carol/);
    await textOf(page.getByRole("status"), /Pause all automation: done by carol/);
    // The page re-rendered the kill switch: focus stays on its (now Resume) button.
    expect(await page.evaluate("document.activeElement?.textContent")).toBe("Resume automation");
    const { body } = await dev().api<{ paused: boolean; by: string; reason: string }>("api/kill-switch");
    expect(body).toMatchObject({ paused: true, by: "carol", reason: "keyboard drill" });
    await page.close();
  });
});

describe("the dashboard, on a cost anomaly that waits for approval", { timeout: SLOW }, () => {
  const dev = devOn("examples/ignition-cost/switchyard.config.ts");

  it("sends an approval clicked in the page to the waiting workflow, recorded with who", async () => {
    const page = await open(dev());
    await page.getByLabel("Acting as").fill("dana");
    await dev().api("api/events", fixture<unknown[]>("../../examples/ignition-cost/alerts/day-one.json"));

    const response = page.getByTestId(`cost-${RDS_ANOMALY}`);
    await textOf(page.getByTestId(`cost-state-${RDS_ANOMALY}`), /WAITING FOR APPROVAL/);
    await response.getByRole("button", { name: `Approve tier critical of anomaly ${RDS_ANOMALY}` }).click();

    const answered = await textOf(response, /approved: dana approved tier critical/);
    expect(answered).toContain("disabled rule ignition-etl-nightly");
    const { body: history } = await dev().api<{ decision: string; reason: string }[]>("api/history");
    expect(history).toContainEqual(
      expect.objectContaining({
        decision: "approved",
        reason: `dana approved tier critical of anomaly ${RDS_ANOMALY}`,
      }),
    );
    // The workflow went on past the approval: it applied the approved tier's actions.
    expect(history).toContainEqual(
      expect.objectContaining({
        decision: "applied",
        reason: expect.stringContaining("disabled rule ignition-etl-nightly"),
      }),
    );
    await page.close();
  });
});

describe("a newcomer's walk-through", { timeout: SLOW }, () => {
  const dev = devOn("switchyard.config.ts");

  it("sends the showcase's events, watches the rollout in the page and the terminal, rolls back from the page, and reads it in history", async () => {
    const page = await open(dev());
    const watch = watchStatus(dev(), "api");
    const { lines } = watch;
    try {
      await eventually("the watch's first line", () => lines[0], 60_000);
      const events = join(dev().cwd, "showcase.json");
      writeFileSync(events, JSON.stringify([push, scan]));

      expect((await dev().cli("send", events)).code).toBe(0);
      expect((await dev().cli("advance", "10s")).code).toBe(0);

      await textOf(page.getByTestId("routing-api"), /^v1 90% \/ v2 10%$/);
      await eventually("the canary in the terminal", () => lines.find((l) => /v1 90% \/ v2 10%/.test(l)));

      await page.getByLabel("Acting as").fill("newcomer");
      await page.getByLabel("Reason to roll back or promote api").fill("trying the rollback");
      await page.getByTestId("deployment-api").getByRole("button", { name: "Roll back" }).click();

      await textOf(page.getByTestId("deployment-status-api"), /ROLLED-BACK v1 → v2/);
      await textOf(page.getByTestId("routing-api"), /^v1 100%$/);
      await eventually("the rollback in the terminal", () =>
        lines.find((l) => / rolled-back v1→v2 /.test(l)),
      );
    } finally {
      watch.stop();
    }
    const history = await dev().cli("history");
    expect(history.code).toBe(0);
    expect(history.stdout).toMatch(/ rolled-back +api operator rollback by newcomer: trying the rollback/);
    expect(history.stdout).toMatch(/ deploy +started /);
    await page.close();
  });
});
