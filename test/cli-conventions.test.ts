import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { VERBS } from "../packages/cli/src/commands/table.ts";
import { alarm } from "../packages/cli/src/scenarios/vocabulary.ts";
import { runScenario } from "../packages/cli/src/scenarios.ts";
import exampleConfig from "../switchyard.config.ts";
import { inRepo, PUSH_WITHOUT_IMAGE, root, switchyard, tempFile } from "./support/cli.ts";
import { type RunningDev, startDev } from "./support/dev.ts";
import { fixture } from "./support/scenario.ts";

// The conventions every verb keeps (gh and aws users expect them): help per verb, suggestions,
// exit codes 0 ok / 1 operational failure / 2 usage error, --json that parses, logs on stderr,
// a closed pipe that is not an error, colour only where it can be seen.

const fixtures = (path: string) => inRepo(`test/fixtures/${path}`);
const noStack = /\n\s+at /;

/** This process's environment without what silences the functions' logs. */
const loggingEnv = () =>
  Object.fromEntries(
    Object.entries(process.env).filter(
      ([key]) => !key.startsWith("POWERTOOLS_") && key !== "SWITCHYARD_LOG_LEVEL",
    ),
  );

describe("help", () => {
  it("answers --help well under a second: no verb's module is imported to print it", () => {
    const started = process.hrtime.bigint();
    const { code, stdout } = switchyard("--help");
    const ms = Number(process.hrtime.bigint() - started) / 1e6;

    expect(code).toBe(0);
    for (const verb of VERBS) expect(stdout).toMatch(new RegExp(`^  ${verb.name}\\s`, "m"));
    // Generous for a loaded machine; the import-everything CLI took several seconds.
    expect(ms).toBeLessThan(3000);
  });

  it.each(VERBS.map((v) => v.name))("gives %s its own help, with --help and with help VERB", (name) => {
    const viaFlag = switchyard(name, "--help");
    const viaVerb = switchyard("help", name);

    expect(viaFlag.code).toBe(0);
    expect(viaFlag.stdout).toMatch(new RegExp(`^switchyard ${name} — `));
    expect(viaFlag.stdout).toContain("Usage:");
    expect(viaFlag.stdout).toContain("--help");
    expect(viaVerb).toEqual(viaFlag);
  });

  it.each(["dev", "ui", "send", "advance"])(
    "gives the live control plane's %s its own help, with --help and with help VERB",
    (name) => {
      const viaFlag = switchyard(name, "--help");
      const viaVerb = switchyard("help", name);

      expect(viaFlag.code).toBe(0);
      expect(viaFlag.stdout).toMatch(new RegExp(`^switchyard ${name} — `));
      expect(viaFlag.stdout).toContain(`Usage:\n  switchyard ${name === "ui" ? "dev" : name} `);
      expect(viaVerb).toEqual(viaFlag);
    },
  );

  it("names an unknown option of a live-control-plane verb and where its help is, exit 2", () => {
    const { code, stderr } = switchyard("status", "--bogus");

    expect(code).toBe(2);
    expect(stderr).toBe("switchyard: status has no option --bogus; see `switchyard status --help`\n");
  });

  it("prints the version", () => {
    const { code, stdout } = switchyard("--version");

    expect(code).toBe(0);
    expect(stdout).toMatch(/^switchyard \d+\.\d+\.\d+ \(node 22\.\d+\.\d+\)\n$/);
  });

  it("exits 2 with the overview on stderr when no verb is given", () => {
    const { code, stdout, stderr } = switchyard();

    expect(code).toBe(2);
    expect(stdout).toBe("");
    expect(stderr).toContain("Verbs:");
  });
});

describe("did you mean", () => {
  it("suggests the verb meant, exit 2", () => {
    const { code, stderr } = switchyard("scenaro", "--list");

    expect(code).toBe(2);
    expect(stderr).toBe('switchyard: unknown verb "scenaro"; did you mean "scenario"?\n');
  });

  it("suggests the option meant, exit 2, before doing anything", () => {
    const { code, stdout, stderr } = switchyard("replay", "--jsn", fixtures("aws/ecr/image-push.json"));

    expect(code).toBe(2);
    expect(stdout).toBe("");
    expect(stderr).toBe("switchyard: replay has no option --jsn; did you mean --json?\n");
  });

  it("says which verb an option belongs to when it is another verb's", () => {
    const { code, stderr } = switchyard("replay", "--limit", "3", fixtures("aws/ecr/image-push.json"));

    expect(code).toBe(2);
    expect(stderr).toBe("switchyard: replay has no option --limit; it belongs to history\n");
  });

  it("suggests the failover action meant", () => {
    const { code, stderr } = switchyard("failover", "strat", "orders-db");

    expect(code).toBe(2);
    expect(stderr).toContain('did you mean "start"?');
  });

  it("suggests the scenario meant", () => {
    const { code, stderr } = switchyard("scenario", "scan-blocks");

    expect(code).toBe(2);
    expect(stderr).toContain('unknown scenario "scan-blocks"; did you mean "scan-blocked"?');
  });

  it("names the value a string option is missing, exit 2", () => {
    const { code, stderr } = switchyard("replay", "--config");

    expect(code).toBe(2);
    expect(stderr).toMatch(/^switchyard: Option '--config <value>' argument missing/);
    expect(stderr).not.toMatch(noStack);
  });
});

describe("--json on every verb that prints data", () => {
  it("lists the scenarios as a JSON array", () => {
    const { code, stdout } = switchyard("scenario", "--list", "--json");

    expect(code).toBe(0);
    const list = JSON.parse(stdout) as { name: string; summary: string }[];
    expect(list.map((s) => s.name)).toContain("canary-rollback");
    expect(list.every((s) => typeof s.summary === "string" && s.summary.length > 0)).toBe(true);
  });

  it("prints a scenario's timeline as structured entries {t, at, component, message}", () => {
    const { code, stdout } = switchyard("scenario", "canary-rollback", "--json");

    expect(code).toBe(0);
    const result = JSON.parse(stdout) as {
      timeline: { t: string; at: string; component: string; message: string }[];
    };
    expect(result.timeline.length).toBeGreaterThan(5);
    for (const entry of result.timeline) {
      expect(entry.t).toMatch(/^\d+:\d\d:\d\d$/);
      expect(Number.isNaN(Date.parse(entry.at))).toBe(false);
      expect(typeof entry.component).toBe("string");
      expect(typeof entry.message).toBe("string");
    }
    expect(result.timeline).toContainEqual(
      expect.objectContaining({ component: "rollback", message: "alias api-handler:live → 100% v1" }),
    );
  });

  // Without a running `switchyard dev`, history and pause say so (test/dev.test.ts): a dry-run
  // pause and the scenario list still print data here.
  it("prints status, a dry-run pause, the scenario list and invoke as JSON documents", () => {
    for (const args of [
      ["status", "--json"],
      ["pause", "--reason", "drill", "--dry-run", "--json"],
      ["scenario", "--list", "--json"],
      ["invoke", "--json", "rollback", fixtures("aws/cloudwatch/alarm-state-change-metric.json")],
    ]) {
      const { code, stdout } = switchyard(...args);
      expect(code, args.join(" ")).toBe(0);
      expect(() => JSON.parse(stdout), args.join(" ")).not.toThrow();
    }
  });

  it("prints a valid config's summary as JSON", () => {
    const { code, stdout } = switchyard("validate", "--json");

    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toMatchObject({ file: "switchyard.config.ts", valid: true });
  });
});

/**
 * How each verb of the verb table prints its data as JSON: in the repository (the simulated
 * account, a command at a time), or on a running `switchyard dev` with a canary in flight (the
 * verbs that act on something live). Entries run in this order; `prepare` sets the dev up first.
 */
interface JsonRun {
  readonly args: readonly string[];
  readonly on: "repo" | "dev";
  readonly prepare?: (dev: RunningDev) => Promise<void>;
}
const IGNITION_COST = inRepo("examples/ignition-cost/switchyard.config.ts");
const DAY_ONE = inRepo("examples/ignition-cost/alerts/day-one.json");
const RDS_ANOMALY = "a1e5c0de-0002-4c3e-9d5e-1c2d3e4f5a6b";
const [canaryPush, canaryScan] = fixture<Record<string, unknown>[]>("scenarios/canary-rolled-back.json");
/** A new canary on the dev: the showcase's push and scan again, under new event ids. */
const newCanary = async (dev: RunningDev, n: number) => {
  await dev.api("api/events", [
    { ...canaryPush, id: `json-push-${n}` },
    { ...canaryScan, id: `json-scan-${n}` },
  ]);
  // Lambda applies the new code for a few seconds of virtual time before the first shift.
  await dev.api("api/advance", { duration: "10s" });
};
const JSON_RUNS: Record<string, readonly JsonRun[] | { readonly coveredBy: string }> = {
  replay: [{ on: "repo", args: ["replay", "--json", fixtures("aws/ecr/image-push.json")] }],
  scenario: [
    { on: "repo", args: ["scenario", "--list", "--json"] },
    { on: "repo", args: ["scenario", "stuck-rotation", "--json"] },
  ],
  invoke: [
    {
      on: "repo",
      args: ["invoke", "--json", "rollback", fixtures("aws/cloudwatch/alarm-state-change-metric.json")],
    },
  ],
  // A quick bench still measures for about a minute: its --json is parsed and checked there.
  bench: { coveredBy: "test/bench.test.ts" },
  validate: [{ on: "repo", args: ["validate", "--json"] }],
  approve: [
    {
      on: "repo",
      args: ["approve", RDS_ANOMALY, "--by", "alice", "--json", "--config", IGNITION_COST, DAY_ONE],
    },
  ],
  deny: [
    { on: "repo", args: ["deny", RDS_ANOMALY, "--by", "bob", "--json", "--config", IGNITION_COST, DAY_ONE] },
  ],
  failover: [{ on: "repo", args: ["failover", "start", "ignition", "--dry-run", "--json"] }],
  status: [
    { on: "dev", prepare: (dev) => newCanary(dev, 1), args: ["status", "--json"] },
    { on: "dev", args: ["status", "api", "--json"] },
  ],
  history: [{ on: "dev", args: ["history", "--limit", "5", "--json"] }],
  pause: [{ on: "dev", args: ["pause", "--reason", "drill", "--json"] }],
  resume: [{ on: "dev", args: ["resume", "--reason", "drill over", "--json"] }],
  promote: [{ on: "dev", args: ["promote", "api", "--reason", "looks good", "--json"] }],
  rollback: [{ on: "dev", args: ["rollback", "api", "--reason", "changed my mind", "--json"] }],
  abandon: [
    {
      on: "dev",
      prepare: (dev) => newCanary(dev, 2),
      args: ["abandon", "api", "--reason", "stuck", "--json"],
    },
  ],
  abort: [
    {
      on: "dev",
      prepare: (dev) => newCanary(dev, 3),
      args: ["abort", "api", "--reason", "drill", "--json"],
    },
  ],
  // Nothing is frozen on the showcase's dev: the verb says so, in JSON (a freeze lifted: deploy-budget.e2e).
  unfreeze: [{ on: "dev", args: ["unfreeze", "api", "--reason", "drill", "--json"] }],
  // A deploy by hand needs an image the simulated registry holds, and a retry an execution that
  // failed in place: neither exists on the showcase's dev, so their runs (with pause, resume and
  // abort of one deployment) are in that test file, whose dev gets them; it checks their fields.
  deploy: { coveredBy: "test/deploy-operator-json.e2e.test.ts" },
  retry: { coveredBy: "test/deploy-operator-json.e2e.test.ts" },
};

describe("--json of every verb in the verb table", { timeout: 600_000 }, () => {
  const withJson = VERBS.filter((v) => "json" in v.options).map((v) => v.name);

  it("has a way to print each verb's data, so a new verb cannot go untested", () => {
    expect(Object.keys(JSON_RUNS).sort()).toEqual([...withJson].sort());
  });

  it("prints one parseable JSON document with exit 0 for each verb", async () => {
    const dev = await startDev(["--config", inRepo("switchyard.config.ts"), "--speed", "0"]);
    try {
      for (const runs of Object.values(JSON_RUNS)) {
        if (!Array.isArray(runs)) continue;
        for (const run of runs as readonly JsonRun[]) {
          await run.prepare?.(dev);
          const out = run.on === "dev" ? await dev.cli(...run.args) : switchyard(...run.args);
          const what = `switchyard ${run.args.join(" ")} (${run.on}): ${out.stderr}`;
          expect(out.code, what).toBe(0);
          expect(() => JSON.parse(out.stdout), what).not.toThrow();
        }
      }
    } finally {
      await dev.stop();
    }
  });

  it("prints the JSON Schema as JSON without being asked: schema has no --json", () => {
    const { code, stdout } = switchyard("schema");

    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toMatchObject({ $schema: expect.any(String) });
  });
});

describe("exit codes", () => {
  const rejectedEvent = () => tempFile("bad.json", PUSH_WITHOUT_IMAGE);

  it("replay --strict exits 1 when an event is rejected, and still prints the report", () => {
    const { code, stdout, stderr } = switchyard("replay", "--strict", "--json", rejectedEvent());

    expect(code).toBe(1);
    expect(JSON.parse(stdout).events[0].status).toBe("rejected");
    expect(stderr).toBe("switchyard: 1 event(s) rejected (--strict)\n");
  });

  it("replay without --strict exits 0 for the same event", () => {
    expect(switchyard("replay", "--json", rejectedEvent()).code).toBe(0);
  });

  it("validate exits 1 and lists every issue of an invalid config, as data", () => {
    const { code, stdout } = switchyard("validate", "--json", "--config", fixtures("config/invalid.json"));

    expect(code).toBe(1);
    const report = JSON.parse(stdout) as { valid: boolean; issues: string[] };
    expect(report.valid).toBe(false);
    expect(report.issues.some((i) => i.startsWith("deployments[0]"))).toBe(true);
  });

  it("other verbs exit 2 on an invalid config: using one is a usage error", () => {
    const { code, stderr } = switchyard("status", "--config", fixtures("config/invalid.json"));

    expect(code).toBe(2);
    expect(stderr).toMatch(/deployments\[0\]/);
    expect(stderr).not.toMatch(noStack);
  });
});

describe("output", () => {
  it("ends quietly with exit 0 when the reader closes the pipe early", () => {
    const out = spawnSync(
      "bash",
      [
        "-c",
        `"${process.execPath}" packages/cli/bin/switchyard.js scenario canary-rollback | head -n 1; echo "exit=\${PIPESTATUS[0]}" >&2`,
      ],
      { cwd: root, encoding: "utf8", env: { ...process.env, POWERTOOLS_LOG_LEVEL: "SILENT" } },
    );

    expect(out.stdout.split("\n")).toHaveLength(2);
    expect(out.stderr).toBe("exit=0\n");
  });

  it("with --verbose, writes the functions' logs to stderr and keeps stdout one JSON document", () => {
    const out = spawnSync(
      process.execPath,
      [
        inRepo("packages/cli/bin/switchyard.js"),
        "replay",
        "--json",
        "--verbose",
        fixtures("aws/ecr/image-push.json"),
      ],
      { cwd: root, encoding: "utf8", env: loggingEnv() },
    );

    expect(out.status).toBe(0);
    expect(JSON.parse(out.stdout).events).toHaveLength(1);
    expect(out.stderr).toContain('"message": "deploy started"');
  });

  it("writes no colour when piped, colour when forced, and none under NO_COLOR", () => {
    const run = (env: Record<string, string>) =>
      spawnSync(process.execPath, [inRepo("packages/cli/bin/switchyard.js"), "--help"], {
        cwd: root,
        encoding: "utf8",
        env: { ...process.env, NO_COLOR: "", FORCE_COLOR: "", ...env },
      }).stdout;
    const ansi = "\u001b[";

    expect(run({})).not.toContain(ansi);
    expect(run({ FORCE_COLOR: "1" })).toContain(ansi);
    expect(run({ FORCE_COLOR: "1", NO_COLOR: "1" })).not.toContain(ansi);
  });

  it("stamps the timeline in h:mm:ss and hides unrelated no-action lines unless --verbose", () => {
    const quiet = switchyard("scenario", "database-failure");
    const verbose = switchyard("scenario", "database-failure", "--verbose");

    expect(quiet.code).toBe(0);
    expect(quiet.stdout).toMatch(/^0:05:00 {2}event {10}execution orders-db-\S+ SUCCEEDED$/m);
    expect(quiet.stdout).not.toContain("no-action: alarm orders-db-health guards no deployment");
    expect(verbose.stdout).toContain("rollback       no-action: alarm orders-db-health guards no deployment");
  });

  it("keeps a no-action line when no other reaction acted on the event: it is the only news", async () => {
    // An alarm that guards a deployment with nothing in flight: the rollback reaction's no-action is all there is.
    const result = await runScenario(
      {
        name: "alarm-at-rest",
        summary: "",
        steps: [alarm("ServerCpuTooHigh", "ALARM", "drill")],
        expect: [],
      },
      exampleConfig,
    );

    expect(result.timeline.some((l) => /^0:00:00 {2}rollback {7}no-action: /.test(l))).toBe(true);
    expect(result.entries.filter((e) => e.unrelated)).toEqual([]);
  });

  it("keeps the line of a paused push: pausing is not a no-action", () => {
    const { code, stdout } = switchyard("scenario", "kill-switch");

    expect(code).toBe(0);
    expect(stdout).toMatch(/^0:00:00 {2}deploy {9}paused: automation paused \(incident 4711\)/m);
  });

  it("measures the database failover's RTO from the run, not from the recorded event's year", () => {
    const { code, stdout } = switchyard("scenario", "database-failure", "--json");

    expect(code).toBe(0);
    const { audit } = JSON.parse(stdout) as { audit: { decision: string; reason: string }[] };
    const report = audit.find((a) => a.decision === "failed-over");
    expect(report?.reason).toBe("failed over us-east-1 → us-east-2 in 300 s (RTO target 900 s)");
  });

  it("says a dry-run pause would pause, and sends nothing", () => {
    const { code, stdout } = switchyard("pause", "--reason", "game day", "--dry-run");

    expect(code).toBe(0);
    expect(stdout).toMatch(/^would pause automation on /);
    expect(stdout).toMatch(/dry run: 2 write\(s\) not sent/);
  });
});
