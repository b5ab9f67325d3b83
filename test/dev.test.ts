import { existsSync, mkdtempSync, readdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { inRepo } from "./support/cli.ts";
import { eventually, type RunningDev, startDev, switchyardIn, watchStatus } from "./support/dev.ts";
import { fixture } from "./support/scenario.ts";

/** Each test starts `switchyard dev` and runs commands as processes: slow on a loaded 2-core machine. */
const SLOW = 240_000;

const CONFIG = inRepo("switchyard.config.ts");
/** The showcase's canary: the ECR push, its clean scan, then the guarding alarm (test/fixtures/scenarios). */
const [push, scan, alarm] = fixture<unknown[]>("scenarios/canary-rolled-back.json");

interface StatusJson {
  paused: boolean;
  pausedReason?: string;
  deployments: {
    deployment: string;
    serving: string;
    record?: { status: string; newVersion: string };
    step?: { index: number; of: number; percent: number; bakeUntil?: number };
    alarms: Record<string, string>;
  }[];
}

/** The guarding alarm back to OK: the fixture's state change the other way round, later. */
const alarmBackToOk = (() => {
  const event = structuredClone(alarm) as {
    id: string;
    detail: Record<string, { value: string; timestamp: string }>;
  };
  const { state, previousState } = event.detail;
  if (!state || !previousState) throw new Error("the alarm fixture has no state");
  event.id = "alarm-back-to-ok";
  event.detail.state = { ...previousState, timestamp: "2019-11-16T02:10:00.000+0000" };
  event.detail.previousState = state;
  return event;
})();

const api = (s: StatusJson) => s.deployments.find((d) => d.deployment === "api");

/** Writes JSON to a file in `dir` and returns its path. */
function file(dir: string, name: string, json: unknown): string {
  const path = join(dir, name);
  writeFileSync(path, JSON.stringify(json));
  return path;
}

describe("switchyard dev", { timeout: SLOW }, () => {
  let dev: RunningDev;
  beforeAll(async () => {
    dev = await startDev(["--config", CONFIG, "--speed", "0"]);
  }, SLOW);
  afterAll(async () => {
    await dev?.stop();
  });

  it("takes events from send, and status, advance and history act on it", async () => {
    const sent = await dev.cli("send", file(dev.cwd, "canary.json", [push, scan]));
    expect(sent.code).toBe(0);
    expect(sent.stdout).toContain("deploy: started push of my-repository-name:latest");
    // Lambda applies the new code for a few seconds of virtual time before the canary's first shift.
    expect((await dev.cli("advance", "10s")).code).toBe(0);

    const shifting = await dev.cli("status", "--json");
    expect(shifting.code).toBe(0);
    const status = JSON.parse(shifting.stdout) as StatusJson;
    expect(api(status)).toMatchObject({
      serving: "version 1 with 10% on version 2",
      record: { status: "shifting", newVersion: "2" },
      step: { index: 1, of: 2, percent: 10 },
      alarms: { ServerCpuTooHigh: "OK" },
    });
    const human = await dev.cli("status", "api");
    expect(human.stdout).toMatch(/step 1 of 2 \(10%\), bake left 0:0[45]:\d\d/);

    expect((await dev.cli("advance", "1m")).stdout).toMatch(/^virtual time is now /);
    const alarmed = await dev.cli("send", file(dev.cwd, "alarm.json", alarm));
    expect(alarmed.stdout).toContain("rollback: rolled-back alias api-handler:live on version 1 (100%)");

    const history = await dev.cli("history", "--json");
    expect(history.code).toBe(0);
    const records = JSON.parse(history.stdout) as { decision: string; reason: string }[];
    expect(records.find((r) => r.decision === "rolled-back")?.reason).toContain(
      "alarm ServerCpuTooHigh went to ALARM",
    );
    const bake = (await dev.api<{ deployments: { name: string; series: unknown[] }[] }>("api/state")).body;
    expect(bake.deployments.find((d) => d.name === "api")?.series).toMatchObject([
      { version: "1", weights: {} },
      { version: "1", weights: { "2": 0.1 } },
      { version: "1", weights: {} },
    ]);
  });

  it("pauses and resumes automation through the API, audited with who and why", async () => {
    const paused = await dev.cli("pause", "--reason", "game day", "--by", "alice");
    expect(paused).toMatchObject({ code: 0, stdout: "automation paused on switchyard dev\n" });
    const status = JSON.parse((await dev.cli("status", "--json")).stdout) as StatusJson;
    expect(status).toMatchObject({ paused: true, pausedReason: "game day" });

    await dev.cli("resume", "--reason", "done", "--by", "alice");
    const history = JSON.parse((await dev.cli("history", "--json")).stdout) as {
      reaction: string;
      decision: string;
      reason: string;
    }[];
    // The clock stands still (--speed 0): records of one instant have no order between them.
    expect(history.filter((r) => r.reaction === "operator").map((r) => [r.decision, r.reason])).toEqual(
      expect.arrayContaining([
        ["paused", "alice: game day"],
        ["resumed", "alice: done"],
      ]),
    );
  });

  it("reports a failed operator action in one line with exit 1, and a usage error with exit 2", async () => {
    const promote = await dev.cli("promote", "api", "--reason", "ship it");
    expect(promote.code).toBe(1);
    expect(promote.stderr).toMatch(
      /^switchyard: deployment "api" is not shifting traffic \(.+\): nothing to promote\n$/,
    );
    const noReason = await dev.cli("rollback", "api", "--config", CONFIG);
    expect(noReason.code).toBe(2);
    expect(noReason.stderr).toContain('rollback needs --reason "…"');
  });

  it("sends the JSON files dropped in .switchyard/inbox/ and moves them to inbox/sent/", async () => {
    const inbox = join(dev.cwd, ".switchyard", "inbox");
    // Written beside the inbox and renamed in, as the inbox asks: never read half written.
    renameSync(
      file(dev.cwd, "scan-again.json", { ...(scan as object), id: "inbox-scan-1" }),
      join(inbox, "1.json"),
    );
    await eventually("the inbox file to be sent", () =>
      existsSync(join(inbox, "sent", "1.json")) ? true : undefined,
    );
    expect(readdirSync(inbox).filter((f) => f.endsWith(".json"))).toEqual([]);
    const journal = readFileSync(join(dev.cwd, ".switchyard", "journal.jsonl"), "utf8");
    expect(journal).toContain('"from":"inbox/1.json"');
  });

  it("answers only JSON from its own origin, and names what is wrong with an action", async () => {
    const foreign = await fetch(new URL("api/actions", dev.url), {
      method: "POST",
      headers: { "content-type": "application/json", origin: "http://evil.example" },
      body: JSON.stringify({ do: "pause", reason: "x" }),
    });
    expect(foreign.status).toBe(403);
    const form = await fetch(new URL("api/actions", dev.url), {
      method: "POST",
      headers: { "content-type": "text/plain" },
      body: JSON.stringify({ do: "pause", reason: "x" }),
    });
    expect(form.status).toBe(415);
    const unknown = await dev.api<{ error: string }>("api/actions", { do: "reboot" });
    expect(unknown.status).toBe(400);
    expect(unknown.body.error).toMatch(/^unknown action "reboot"; one of pause, resume/);
    const noReason = await dev.api<{ error: string }>("api/actions", { do: "pause" });
    expect(noReason).toMatchObject({
      status: 400,
      body: { error: 'the action needs "reason" (a non-empty string)' },
    });
    const notJson = await fetch(new URL("api/events", dev.url), {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: "{",
    });
    expect(notJson.status).toBe(400);
  });

  it("follows a deployment with status --watch, one line per change when piped", async () => {
    const watch = watchStatus(dev, "api");
    const { lines } = watch;
    try {
      await eventually("the first line", () => (lines.length > 0 ? true : undefined), 60_000);
      // The alarm is back to OK, then a new push of the image: a new canary.
      await dev.api("api/events", alarmBackToOk);
      await dev.api("api/events", [
        { ...(push as object), id: "watch-push-2" },
        { ...(scan as object), id: "watch-scan-2" },
      ]);
      // Lambda applies the new code for a few seconds of virtual time before the first shift.
      await dev.api("api/advance", { duration: "10s" });
      await eventually("the new canary's line", () => lines.find((l) => /v1 90% \/ v\d+ 10%/.test(l)));
      await dev.api("api/advance", { duration: "5m" });
      await eventually("the promotion's line", () => lines.find((l) => / succeeded /.test(l)));
    } finally {
      watch.stop();
    }
    expect(lines[0]).toMatch(/^\S+Z {2}api +v1 100% +\S+/);
    expect(lines.at(-1)).toMatch(/^\S+Z {2}api +v(\d+) 100% +succeeded v1→v\1 +alarms ServerCpuTooHigh=OK$/);
    // No repeated lines: the bake counting down is not a change.
    expect(new Set(lines).size).toBe(lines.length);
  });
});

describe("switchyard dev across restarts", { timeout: SLOW }, () => {
  it("rebuilds the state from its journal, and stops cleanly on SIGTERM", async () => {
    const first = await startDev(["--config", CONFIG, "--speed", "0"]);
    await first.api("api/events", [push, scan]);
    // Lambda applies the new code for a few seconds of virtual time before the first shift.
    await first.api("api/advance", { duration: "10s" });
    await first.api("api/actions", { do: "pause", reason: "before restart", by: "bob" });
    expect(await first.stop()).toBe(0);
    expect(existsSync(join(first.cwd, ".switchyard", "dev.json"))).toBe(false);

    const again = await startDev(["--config", CONFIG, "--speed", "0"], { cwd: first.cwd });
    try {
      expect(again.output()).toMatch(/: 4 entries \(2 events\) replayed in \d+ ms/);
      const status = JSON.parse((await again.cli("status", "--json")).stdout) as StatusJson;
      expect(status.paused).toBe(true);
      expect(api(status)).toMatchObject({
        serving: "version 1 with 10% on version 2",
        step: { percent: 10 },
      });
    } finally {
      await again.stop();
    }
  });

  it("refuses a journal recorded with another config, naming --reset", async () => {
    const first = await startDev(["--config", CONFIG, "--speed", "0"]);
    await first.stop();
    const other = await switchyardIn(
      first.cwd,
      "dev",
      "--port",
      "0",
      "--config",
      inRepo("examples/ignition-cost/switchyard.config.ts"),
    );
    expect(other.code).toBe(1);
    expect(other.stderr).toMatch(/was recorded with another config; .* start afresh with --reset/);
  });

  it("runs virtual time at --speed: a 5-minute canary bakes out in seconds", async () => {
    const fast = await startDev(["--config", CONFIG, "--speed", "300"]);
    try {
      await fast.api("api/events", [push, scan]);
      const done = await eventually(
        "the canary to reach 100%",
        async () => {
          const { body } = await fast.api<StatusJson>("api/status");
          return api(body)?.record?.status === "succeeded" ? api(body) : undefined;
        },
        60_000,
      );
      expect(done.serving).toBe("version 2 (100%)");
      const journal = readFileSync(join(fast.cwd, ".switchyard", "journal.jsonl"), "utf8");
      expect(journal).toMatch(/"kind":"clock"/);
    } finally {
      await fast.stop();
    }
  });
});

describe("the operations verbs without a running dev", { timeout: SLOW }, () => {
  const empty = mkdtempSync(join(tmpdir(), "switchyard-no-dev-"));

  it("history, pause and send say in one line that no dev runs, and exit 1", async () => {
    for (const args of [
      ["history"],
      ["pause", "--reason", "x"],
      ["send", inRepo("test/fixtures/aws/ecr/image-push.json")],
    ]) {
      const out = await switchyardIn(empty, ...args);
      expect(out.code).toBe(1);
      expect(out.stderr).toMatch(
        /^switchyard: no switchyard dev runs in .*: start one with `switchyard dev`, or act on a real account with --aws\n$/,
      );
    }
  });

  it("status shows a fresh simulated account and says so on stderr", async () => {
    const out = await switchyardIn(empty, "status", "--json", "--config", CONFIG);
    expect(out.code).toBe(0);
    expect(JSON.parse(out.stdout)).toMatchObject({ paused: false });
    expect(out.stderr).toContain("no switchyard dev runs here: this is a fresh simulated account");
  });
});
