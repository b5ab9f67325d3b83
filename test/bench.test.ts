import { beforeAll, describe, expect, it } from "vitest";
import type { BenchReport } from "../packages/cli/src/bench.ts";
import { functions, rulesFor } from "../packages/core/src/wiring.ts";

// `switchyard bench` in its quick mode: the report's shape and invariants, never its timings
// (those depend on the machine, and belong to the bench's own output).

async function runQuick(json: boolean): Promise<{ code: number; output: string }> {
  // The functions' JSON logs would bury the output; the CLI launcher silences them the same way.
  process.env.POWERTOOLS_LOG_LEVEL ??= "SILENT";
  process.env.POWERTOOLS_METRICS_DISABLED ??= "true";
  const { runBench } = await import("../packages/cli/src/bench.ts");
  let output = "";
  const code = await runBench({ json, quick: true, write: (s) => (output += s) });
  return { code, output };
}

const finitePositive = (n: unknown) => typeof n === "number" && Number.isFinite(n) && n > 0;

describe("switchyard bench --json (quick mode)", () => {
  let code: number;
  let report: BenchReport;
  beforeAll(async () => {
    const run = await runQuick(true);
    code = run.code;
    report = JSON.parse(run.output) as BenchReport;
  }, 120_000);

  it("exits 0 and prints one JSON object for the quick mode", () => {
    expect(code).toBe(0);
    expect(report.mode).toBe("quick");
  });

  it("reports rollback latency as ordered, positive percentiles in ms over the alarms it sent", () => {
    const l = report.rollbackLatency;

    expect(l.unit).toBe("ms");
    expect(l.iterations).toBeGreaterThan(0);
    for (const value of [l.p50, l.p99, l.max]) expect(finitePositive(value)).toBe(true);
    expect(l.p50).toBeLessThanOrEqual(l.p99);
    expect(l.p99).toBeLessThanOrEqual(l.max);
  });

  it("reports the rollback's floor (a bare UpdateAlias and a bare GetItem, same run) and the ratio to it", () => {
    const l = report.rollbackLatency;

    expect(finitePositive(l.floor.updateAliasP50)).toBe(true);
    expect(finitePositive(l.floor.getItemP50)).toBe(true);
    expect(l.ratio).toBeCloseTo(l.p50 / (l.floor.updateAliasP50 + l.floor.getItemP50), 1);
  });

  it("names the calls the rollback makes before its UpdateAlias, which include reading the alias", () => {
    expect(report.rollbackLatency.path).toContain("lambda:GetAlias");
    expect(report.rollbackLatency.path).not.toContain("lambda:UpdateAlias");
  });

  it("reports replay throughput as events over seconds, with every event of the mix classified", () => {
    const t = report.replayThroughput;

    expect(finitePositive(t.eventsPerSecond)).toBe(true);
    expect(finitePositive(t.seconds)).toBe(true);
    // The report rounds the seconds to the millisecond: within 1% of events over those seconds.
    expect(Math.abs(t.eventsPerSecond - t.events / t.seconds)).toBeLessThan(t.eventsPerSecond / 100);
    expect(t.statuses.accepted + t.statuses.ignored + t.statuses.rejected).toBe(t.events);
    expect(Object.values(t.statuses).every((n) => n > 0)).toBe(true);
  });

  it("prices the stream's AWS calls at the run's bare-call floors, and says how many floors replay takes", () => {
    const t = report.replayThroughput;
    const { floor } = report.rollbackLatency;
    // Every cycle deploys (DynamoDB state, Lambda, Step Functions) and rolls back.
    expect(t.calls.dynamodb).toBeGreaterThan(0);
    expect(t.calls.other).toBeGreaterThan(0);

    const floorSeconds = (t.calls.dynamodb * floor.getItemP50 + t.calls.other * floor.updateAliasP50) / 1000;
    expect(t.floor.eventsPerSecond).toBeCloseTo(t.events / floorSeconds, -1);
    expect(t.floor.ratio).toBeCloseTo(t.seconds / floorSeconds, 0);
  });

  it("replays a stream that no rule matches with every event ignored, and reports its rate", () => {
    const t = report.noMatchThroughput;

    expect(t.ignored).toBe(t.events);
    expect(t.events).toBeGreaterThan(0);
    expect(finitePositive(t.eventsPerSecond)).toBe(true);
  });

  it("plans the stack at 1, 500 and 2,000 deployments and reports the managed policies of the role that needs most", () => {
    const sizes = report.policies.sizes;

    expect(sizes.map((s) => s.deployments)).toEqual([1, 500, 2000]);
    for (const s of sizes) {
      expect(Number.isInteger(s.maxPerRole) && s.maxPerRole >= 1).toBe(true);
      expect(finitePositive(s.planMs)).toBe(true);
    }
    // More deployments never need fewer policies.
    expect(sizes.map((s) => s.maxPerRole)).toEqual(sizes.map((s) => s.maxPerRole).toSorted((a, b) => a - b));
  });

  it("replays a mix in which alarms roll deploys back and malformed events are dead-lettered", () => {
    expect(report.replayThroughput.rollbacks).toBeGreaterThan(0);
    expect(report.replayThroughput.deadLetters).toBeGreaterThan(0);
  });

  it("bundles every function in core's wiring to a non-empty file, with the AWS SDK inside", () => {
    const bundles = report.bundles.functions;

    expect(bundles.map((b) => b.name)).toEqual(functions.map((f) => f.name));
    for (const b of bundles) expect(b.bytes).toBeGreaterThan(0);
    expect(report.bundles.awsSdk).toBe("bundled");
    for (const b of bundles) expect(b.awsSdkBytes).toBeGreaterThan(0);
  });

  it("imports every bundle in a node with no environment, and reports the import and bare-node times", () => {
    for (const b of report.bundles.functions) {
      expect(b.importError).toBeUndefined();
      expect(finitePositive(b.processMs)).toBe(true);
      expect(finitePositive(b.bareNodeMs)).toBe(true);
      expect(Number.isFinite(b.coldImportMs)).toBe(true);
    }
  });

  it("times the rollback's cold import beside its floor: its SDK clients and runtime libraries, without Switchyard's code", () => {
    const { rollbackFloor } = report.bundles;
    const rollback = report.bundles.functions.find((f) => f.name === "rollback");

    expect(rollbackFloor.packages).toEqual(
      expect.arrayContaining(["@aws-sdk/client-lambda", "@aws-sdk/lib-dynamodb", "@middy/core", "zod"]),
    );
    expect(rollbackFloor.floorBytes).toBeGreaterThan(0);
    expect(rollbackFloor.floorBytes).toBeLessThan(rollback?.bytes ?? 0);
    expect(Number.isFinite(rollbackFloor.floorMs) && Number.isFinite(rollbackFloor.handlerMs)).toBe(true);
    expect(report.rollbackColdImport.ms).toBe(rollbackFloor.handlerMs);
    expect(report.rollbackColdImport.ratio).toBeCloseTo(rollbackFloor.handlerMs / rollbackFloor.floorMs, 1);
  });

  it("times the floor of the rollback's path to UpdateAlias: the clients of the calls it made, without what comes after", () => {
    const { path, packages } = report.bundles.rollbackFloor;

    // The calls are the ones the latency run recorded, UpdateAlias last.
    expect(path.calls).toEqual([...report.rollbackLatency.path, "lambda:UpdateAlias"]);
    expect(path.calls).toEqual(
      expect.arrayContaining(["dynamodb:BatchGetItem", "cloudwatch:DescribeAlarms"]),
    );
    expect(path.packages).toEqual([
      "@aws-sdk/client-cloudwatch",
      "@aws-sdk/client-lambda",
      "@aws-sdk/lib-dynamodb",
      "@aws-lambda-powertools/logger",
      "@middy/core",
      "zod",
    ]);
    // A strict part of the full floor: the stop, the notice, the dead letter and metrics are left out.
    expect(packages).toEqual(expect.arrayContaining(path.packages));
    expect(packages).toEqual(
      expect.arrayContaining(["@aws-sdk/client-sfn", "@aws-lambda-powertools/metrics"]),
    );
    expect(path.bytes).toBeLessThan(report.bundles.rollbackFloor.floorBytes);
    expect(Number.isFinite(path.ms)).toBe(true);
    expect(report.rollbackColdImport.pathFloorMs).toBe(path.ms);
  });

  it("times a cold rollback in its own process: the import, then its first invocation up to its first AWS request, beside a lone GetAlias", () => {
    const cold = report.bundles.rollbackColdStart;

    expect(cold.runs).toBeGreaterThan(0);
    for (const ms of [cold.importMs, cold.firstRequestMs, cold.floorFirstRequestMs])
      expect(finitePositive(ms)).toBe(true);
    expect(cold.ratio).toBeCloseTo(cold.firstRequestMs / cold.floorFirstRequestMs, 1);
  });

  it("loads the prepared config of 1, 500 and 2,000 deployments, and the same configs parsed, for comparison", () => {
    const sizes = report.configLoad.sizes;

    expect(sizes.map((s) => s.deployments)).toEqual([1, 500, 2_000]);
    for (const s of sizes) expect(finitePositive(s.preparedMs) && finitePositive(s.parsedMs)).toBe(true);
    // The file grows with the config: the 2,000-deployment file is the larger.
    expect(sizes[2]?.bytes).toBeGreaterThan(sizes[1]?.bytes ?? Infinity);
  });

  it("counts the same EventBridge rules for 1 and 500 deployments: those core's wiring deploys for the config", () => {
    expect(report.rules.deployments).toBe(500);
    // The bench's configs have no failover runbook, so no rule for its trigger alarms.
    expect(report.rules.oneDeployment).toBe(rulesFor({ failover: { runbooks: [] } }).length);
    expect(report.rules.manyDeployments).toBe(report.rules.oneDeployment);
    expect(finitePositive(report.rules.nsPerMatch)).toBe(true);
  });

  it("counts a whole number of state transitions for each strategy's deploy, run to completion", () => {
    const runs = report.transitions.runs;

    expect(
      runs.map((r) => `${r.strategy}${r.scanGate ? "+scan" : ""}${r.features.map((f) => `+${f}`).join("")}`),
    ).toEqual([
      "Canary10Percent5Minutes+scan",
      "Canary10Percent5Minutes",
      "Linear10PercentEvery1Minute",
      "Canary10Percent5Minutes+analysis+hooks",
      "Linear10PercentEvery1Minute+analysis",
    ]);
    for (const run of runs) {
      expect(Number.isInteger(run.transitions) && run.transitions > 0).toBe(true);
      expect(run.outcome).toBe("deployed");
    }
  });

  it("counts more transitions for the scan-gated canary than for the ungated one, and most for the linear shift", () => {
    const [gated, ungated, linear] = report.transitions.runs.map((r) => r.transitions);

    expect(gated).toBeGreaterThan(ungated ?? Infinity);
    expect(linear).toBeGreaterThan(gated ?? Infinity);
  });

  it("adds no transition for analysis (it runs inside the step's Task), and stays far inside the history quota", () => {
    const [, ungated, linear, canaryWithHooks, linearWithAnalysis] = report.transitions.runs;

    expect(linearWithAnalysis?.transitions).toBe(linear?.transitions);
    expect(canaryWithHooks?.transitions).toBeGreaterThan(ungated?.transitions ?? Infinity);
    for (const run of report.transitions.runs) expect(run.historyEventsAtMost).toBeLessThanOrEqual(25_000);
  });

  it("states each metric's target and whether it is met, with a note for every missed target", () => {
    const metrics = {
      "rollback latency": report.rollbackLatency,
      bundle: report.bundles,
      rules: report.rules,
      deploy: report.transitions,
    };

    for (const [notePrefix, metric] of Object.entries(metrics)) {
      expect(typeof metric.target).toBe("string");
      expect(typeof metric.met).toBe("boolean");
      if (metric.met === false) expect(report.notes.some((n) => n.includes(notePrefix))).toBe(true);
    }
  });

  it("names each missed target of issue #14 in `missed`, and none that was met", () => {
    const targets = {
      "replay (mixed stream)": report.replayThroughput,
      "replay (no rule matches)": report.noMatchThroughput,
      "rollback cold import": report.rollbackColdImport,
      "IAM at 2000 deployments": report.policies,
    };

    for (const [name, metric] of Object.entries(targets)) {
      expect(typeof metric.target, name).toBe("string");
      expect(
        report.missed.some((m) => m.startsWith(name)),
        name,
      ).toBe(metric.met === false);
    }
  });
});

describe("switchyard bench (quick mode, for people)", () => {
  it("prints a table with a row per metric, its target and whether it is met", async () => {
    const { code, output } = await runQuick(false);

    expect(code).toBe(0);
    const lines = output.split("\n");
    expect(lines.some((l) => /^metric\s+value\s+target\s+met$/.test(l))).toBe(true);
    for (const row of [
      /^rollback latency p50 \/ p99 \/ max .* ms .*p99 ≤ 10 ms\s+(yes|NO)$/,
      /^replay throughput .* events\/s/,
      /^EventBridge rules, 1 \/ 500 deployments\s+\d+ \/ \d+/,
      /^state transitions, Canary10Percent5Minutes \+ scan gate\s+\d+ \(deployed\)\s+≤ 20\s+(yes|NO)$/,
    ]) {
      expect(lines.some((l) => row.test(l))).toBe(true);
    }
    for (const f of functions) {
      expect(lines.some((l) => l.startsWith(`bundle ${f.name} `) && /bytes/.test(l))).toBe(true);
      expect(lines.some((l) => l.startsWith(`cold import ${f.name} `))).toBe(true);
    }
  }, 120_000);
});

describe("switchyard bench --check (quick mode)", () => {
  it("exits 1 when a target is missed and 0 otherwise, naming each missed target on stderr", async () => {
    process.env.POWERTOOLS_LOG_LEVEL ??= "SILENT";
    process.env.POWERTOOLS_METRICS_DISABLED ??= "true";
    const { runBench } = await import("../packages/cli/src/bench.ts");
    let output = "";
    let errors = "";

    const code = await runBench({
      json: true,
      quick: true,
      check: true,
      write: (s) => (output += s),
      writeError: (s) => (errors += s),
    });

    const report = JSON.parse(output) as BenchReport;
    expect(code).toBe(report.missed.length > 0 ? 1 : 0);
    expect(errors.split("\n").filter(Boolean)).toEqual(
      report.missed.map((m) => `bench: missed target: ${m}`),
    );
  }, 120_000);
});
