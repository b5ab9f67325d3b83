import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { inRepo, switchyard } from "./support/cli.ts";
import { type RunningDev, startDev } from "./support/dev.ts";
import { fixture } from "./support/scenario.ts";

// The `switchyard rollback DEPLOYMENT --to VERSION` command as a person runs it: its help, its
// one-line errors and exit codes, and against a running `switchyard dev`, whose journal keeps it.

const SLOW = 240_000;
const CONFIG = inRepo("switchyard.config.ts");
const [push, scan] = fixture<unknown[]>("scenarios/canary-rolled-back.json");

interface StatusJson {
  deployments: { deployment: string; serving: string; record?: { status: string; stableVersion: string } }[];
}
const api = (s: StatusJson) => s.deployments.find((d) => d.deployment === "api");

describe("switchyard rollback --to: help and usage", () => {
  it("has its own help, with the --to usage and what it accepts", () => {
    const run = switchyard("rollback", "--help");

    expect(run.code).toBe(0);
    expect(run.stdout).toContain(
      "switchyard rollback DEPLOYMENT --to VERSION --reason TEXT [--aws] [--dry-run]",
    );
    expect(run.stdout).toMatch(/--to VERSION +go back to this published version/);
  });

  it("refuses a --to that is not a version number in one line, exit 2", () => {
    const run = switchyard(
      "rollback",
      "api",
      "--to",
      "latest",
      "--reason",
      "x",
      "--dry-run",
      "--config",
      CONFIG,
    );

    expect(run.code).toBe(2);
    expect(run.stderr.trim().split("\n")).toHaveLength(1);
    expect(run.stderr).toMatch(
      /^switchyard: --to must be a published version number \(e\.g\. --to 3\), not "latest"/,
    );
  });

  it("refuses --to on another verb, exit 2", () => {
    const run = switchyard("promote", "api", "--to", "3", "--reason", "x", "--config", CONFIG);

    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/^switchyard: promote has no option --to;/);
  });

  it("refuses a version Switchyard never published, naming what --to takes, exit 2", () => {
    const run = switchyard("rollback", "api", "--to", "1", "--reason", "x", "--dry-run", "--config", CONFIG);

    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(
      /^switchyard: version 1 of api-handler was not published by Switchyard for "api": --to takes only those/,
    );
  });
});

describe("switchyard rollback --to on a running switchyard dev", { timeout: SLOW }, () => {
  let dev: RunningDev;
  beforeAll(async () => {
    dev = await startDev(["--config", CONFIG, "--speed", "0"]);
    await dev.api("api/events", [
      { ...(push as object), id: "push-a" },
      { ...(scan as object), id: "scan-a" },
    ]);
    await dev.api("api/advance", { duration: "10s" });
    await dev.api("api/advance", { duration: "6m" });
  }, SLOW);
  afterAll(async () => {
    await dev?.stop();
  });

  it("goes back to the recorded stable version, prints JSON, and the journal keeps it across a restart", async () => {
    const before = JSON.parse((await dev.cli("status", "--json")).stdout) as StatusJson;
    expect(api(before)?.serving).toBe("version 2 (100%)");

    const run = await dev.cli(
      "rollback",
      "api",
      "--to",
      "1",
      "--reason",
      "bad migration",
      "--by",
      "alice",
      "--json",
    );

    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ outcome: "rolled-back", version: "1" });
    const after = JSON.parse((await dev.cli("status", "--json")).stdout) as StatusJson;
    expect(api(after)).toMatchObject({ serving: "version 1 (100%)", record: { stableVersion: "1" } });

    expect(await dev.stop()).toBe(0);
    dev = await startDev(["--config", CONFIG, "--speed", "0"], { cwd: dev.cwd });
    const replayed = JSON.parse((await dev.cli("status", "--json")).stdout) as StatusJson;
    expect(api(replayed)?.serving).toBe("version 1 (100%)");
  });

  it("says in one line that a version does not exist, exit 1", async () => {
    const run = await dev.cli("rollback", "api", "--to", "7", "--reason", "x");

    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^switchyard: version 7 of api-handler does not exist/);
    expect(run.stderr.trim().split("\n")).toHaveLength(1);
  });
});
