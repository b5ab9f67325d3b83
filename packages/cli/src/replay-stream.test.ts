import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { digestOf, executionSucceeded, imageDelete, imagePush, imageScan } from "./bench/events.ts";
import { benchConfig, deployment, REPOSITORY, TAG } from "./bench/world.ts";
import { type ReplaySummary, replayJsonLines } from "./replay.ts";

// `switchyard replay --from F.jsonl`: a generated JSON-lines file of the bench's events (the
// AWS-documented shapes), a blank line and a line that is not JSON.

const time = (s: number) => new Date(Date.parse("2019-11-16T01:54:34Z") + 1000 * s).toISOString();

describe("replay --from a JSON-lines file", () => {
  let dir: string;
  let summary: ReplaySummary;
  let stderr = "";
  let code: number;

  beforeAll(async () => {
    process.env.POWERTOOLS_LOG_LEVEL ??= "SILENT";
    process.env.POWERTOOLS_METRICS_DISABLED ??= "true";
    dir = await mkdtemp(join(tmpdir(), "switchyard-replay-"));
    const file = join(dir, "events.jsonl");
    const lines = [
      imagePush(REPOSITORY, TAG, digestOf(1), time(0)),
      imageScan(REPOSITORY, digestOf(1), { LOW: 1 }, time(1)),
      imageDelete(REPOSITORY, TAG, digestOf(0), time(2)),
      executionSucceeded(time(3)),
    ].map((e) => JSON.stringify(e));
    await writeFile(file, [...lines.slice(0, 2), "", "{not json", ...lines.slice(2)].join("\n"));
    let stdout = "";
    code = await replayJsonLines(benchConfig([deployment(0)]), file, {
      json: true,
      out: { write: (s: string) => (stdout += s) },
      err: { write: (s: string) => (stderr += s), isTTY: false },
    });
    summary = JSON.parse(stdout) as ReplaySummary;
  }, 120_000);

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("replays every line holding an event and counts the line that is not JSON as rejected", () => {
    expect(code).toBe(0);
    expect(summary.events).toBe(5);
    expect(summary.statuses).toEqual({ accepted: 2, ignored: 2, rejected: 1 });
    expect(summary.unreadable).toEqual([{ line: 4, reason: expect.stringMatching(/^line 4: not JSON/) }]);
  });

  it("runs the deploy the push and the scan start, and counts how its execution ended", () => {
    expect(summary.reactions).toEqual({ deploy: { started: 1 }, "scan-result": { answered: 1 } });
    expect(summary.executions).toEqual({ deployed: 1 });
    expect(summary.deadLetters).toBe(0);
  });

  it("draws a progress bar on stderr that ends at 100% of the file", () => {
    const bars = stderr.split("\n").filter((l) => l.startsWith("replay ["));

    expect(bars.length).toBeGreaterThan(0);
    expect(bars.at(-1)).toMatch(/^replay \[#{30}\] 100% 5 events, [\d,]+\/s$/);
  });

  it("refuses a file that cannot be read, naming it", async () => {
    await expect(
      replayJsonLines(benchConfig([deployment(0)]), join(dir, "missing.jsonl"), {
        json: true,
        out: { write: () => undefined },
        err: { write: () => undefined },
      }),
    ).rejects.toThrow(/missing\.jsonl: cannot be read \(ENOENT\)/);
  });
});
