import { mkdirSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DevPlane } from "../packages/cli/src/dev/engine.ts";
import { stateDir } from "../packages/cli/src/dev/journal.ts";
import { type DevServer, serveDev } from "../packages/cli/src/dev/server.ts";
import { loadConfig } from "../packages/core/src/config/index.ts";
import { inRepo } from "./support/cli.ts";
import { switchyardIn } from "./support/dev.ts";

// `deploy|retry|pause|resume|abort DEPLOYMENT --json` (issue #12, ADR 0029), each run as the
// `switchyard` process against a `switchyard dev` of the example config, its output parsed and
// its fields checked. The dev runs in this process, so the test can give its simulated registry
// the images a deploy by hand names and make a rollout fail in place for `retry` (a dev started as
// a process offers neither).

const WORKER = "queue-worker:live";
const EXECUTION = /^arn:aws:states:us-east-1:123456789012:execution:switchyard-deploy:worker-/;

let cwd: string;
let dev: DevPlane;
let server: DevServer;
beforeAll(async () => {
  cwd = mkdtempSync(join(tmpdir(), "switchyard-json-"));
  const dir = stateDir(cwd);
  mkdirSync(dir.inbox, { recursive: true });
  const config = await loadConfig(inRepo("switchyard.config.ts"));
  dev = await DevPlane.open({ config, dir, speed: 0 });
  server = await serveDev(dev, { dir, port: 0, operator: "tester", log: () => undefined });
}, 120_000);
afterAll(async () => {
  await server?.close();
  await dev?.close();
});

/** Runs the verb with --json in the dev's folder: exit 0, nothing on stderr, one JSON document. */
async function json(...args: string[]): Promise<Record<string, unknown>> {
  const out = await switchyardIn(cwd, ...args, "--by", "alice", "--json");
  expect(out, args.join(" ")).toMatchObject({ code: 0, stderr: "" });
  return JSON.parse(out.stdout) as Record<string, unknown>;
}

const minutes = (n: number) => dev.advance(n * 60_000);

describe("the deployment verbs' --json on a running switchyard dev", { timeout: 240_000 }, () => {
  it("retry --json: redriven, naming the execution that failed in place", async () => {
    // The 100% shift fails five times (the retries exhausted): the execution fails in place.
    dev.plane.account.injectFault({
      service: "lambda",
      action: "UpdateAlias",
      error: "ServiceException",
      times: 5,
      when: (input) => input.FunctionVersion === "2",
    });
    dev.plane.account.ecr.pushImage("queue-worker", "stable", "json-a");
    await minutes(15);
    expect(dev.plane.account.sfn.executions().map((e) => e.status)).toEqual(["FAILED"]);

    const retried = await json("retry", "worker", "--reason", "the UpdateAlias outage is over");

    expect(retried).toEqual({ outcome: "redriven", detail: expect.stringMatching(/^worker-/) });
    await minutes(15);
    expect(dev.plane.aliases()[WORKER]).toEqual({ version: "2", weights: {} });
  });

  it("deploy --json: started, with the execution it started", async () => {
    dev.plane.account.ecr.pushImage("queue-worker", "hotfix", "json-b");
    await minutes(0);

    const deployed = await json("deploy", "worker", "--tag", "hotfix", "--reason", "INC-7 fix");

    expect(deployed).toEqual({
      outcome: "started",
      detail: expect.stringContaining("worker"),
      executions: [expect.stringMatching(EXECUTION)],
    });
    await dev.advance(30_000);
    expect(dev.plane.aliases()[WORKER]).toEqual({ version: "2", weights: { "3": 0.1 } });
  });

  it("pause, resume and abort --json: paused, resumed, rolled back, each with its detail", async () => {
    const paused = await json("pause", "worker", "--reason", "watch the queue depth");
    const resumed = await json("resume", "worker", "--reason", "queue depth is flat");
    const aborted = await json("abort", "worker", "--reason", "INC-8");

    expect(paused).toEqual({
      outcome: "paused",
      detail: expect.stringMatching(/^worker-.+ holds before its next step/),
    });
    expect(resumed).toEqual({
      outcome: "resumed",
      detail: expect.stringMatching(/^worker-.+ goes on at its next check$/),
    });
    expect(aborted).toEqual({ outcome: "rolled-back", detail: expect.any(String) });
    expect(dev.plane.aliases()[WORKER]).toEqual({ version: "2", weights: {} });
  });
});
