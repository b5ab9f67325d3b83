import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type BrowserContext, chromium, type Locator, type Page } from "playwright-core";
import { expect } from "vitest";
import { eventually } from "./dev.ts";

/**
 * Debian's chromium, headless, driven by playwright-core (`npm test`'s pretest installs it), with
 * a fresh profile for each run (playwright passes it as --user-data-dir).
 */
export function launchBrowser(): Promise<BrowserContext> {
  return chromium.launchPersistentContext(mkdtempSync(join(tmpdir(), "switchyard-chromium-")), {
    executablePath: "/usr/bin/chromium",
    headless: true,
    viewport: { width: 1280, height: 800 },
    // chromium runs as root here: --no-sandbox; the rest keeps it off the network and quiet.
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
}

/** The element's text once it matches, or a failure naming what it showed last. */
export async function textOf(locator: Locator, expected: RegExp, ms = 30_000): Promise<string> {
  let last = "";
  try {
    return await eventually(
      `${expected}`,
      async () => {
        last = (await locator.textContent({ timeout: ms })) ?? "";
        return expected.test(last) ? last : undefined;
      },
      ms,
    );
  } catch (error) {
    throw new Error(`${(error as Error).message}; the page showed "${last}"`);
  }
}

/** Opens the dashboard at `url` and waits until its stream is live, with no script error. */
export async function openDashboard(
  browser: BrowserContext,
  url: string,
  viewport = { width: 1280, height: 800 },
): Promise<Page> {
  const page = await browser.newPage();
  await page.setViewportSize(viewport);
  const errors: string[] = [];
  page.on("pageerror", (error) => errors.push(error.message));
  await page.goto(url);
  await page.getByText("Live", { exact: true }).waitFor();
  expect(errors).toEqual([]);
  return page;
}
