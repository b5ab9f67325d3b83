import { readFileSync } from "node:fs";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { type ParseResult, parseEvent } from "../packages/core/src/events/parse.ts";
import {
  fuzzRuns,
  type Json,
  type Path,
  parentOf,
  pathsOf,
  plantHostile,
  random,
  setOwn,
} from "./support/fuzz.ts";

/**
 * Property tests over mutations of the real fixtures: whatever arrives, parseEvent answers with
 * a value (never an exception), every rejection says why, and an event that lost a field the
 * reactions depend on is never accepted.
 */

const FIXTURES = new URL("./fixtures/", import.meta.url);
const SEED = 20_261_102;

const ENVELOPE: readonly string[] = ["id", "source", "detail-type", "detail"];
const ALARM = [
  "detail.alarmName",
  "detail.state",
  "detail.state.value",
  "detail.state.timestamp",
  "detail.previousState",
  "detail.previousState.value",
  "detail.previousState.timestamp",
  "detail.configuration",
];
const EXECUTION = [
  "detail.executionArn",
  "detail.stateMachineArn",
  "detail.name",
  "detail.status",
  "detail.startDate",
];
const HEALTH = [
  "detail.eventArn",
  "detail.service",
  "detail.eventTypeCode",
  "detail.eventTypeCategory",
  "detail.startTime",
];
const IMAGE_ACTION = ["detail.action-type", "detail.result", "detail.repository-name", "detail.image-digest"];

/**
 * The specification this test holds the parsers to: per fixture, the fields without which the
 * event must be rejected. Written out by hand, not derived from the schemas under test.
 */
const REQUIRED: Readonly<Record<string, readonly string[]>> = {
  "aws/ecr/image-push.json": IMAGE_ACTION,
  "aws/ecr/image-delete.json": IMAGE_ACTION,
  "aws/ecr/image-scan.json": [
    "detail.scan-status",
    "detail.repository-name",
    "detail.image-digest",
    "detail.image-tags",
    "detail.finding-severity-counts",
  ],
  "aws/inspector2/ecr-image-scan.json": [
    "detail.scan-status",
    "detail.repository-name",
    "detail.image-digest",
    "detail.finding-severity-counts",
  ],
  "aws/inspector2/ecr-image-initial-scan-no-findings.json": [
    "detail.scan-status",
    "detail.repository-name",
    "detail.image-digest",
    "detail.finding-severity-counts",
  ],
  // Well-formed, but about a Lambda function: unsupported, so nothing in it is required.
  "aws/inspector2/lambda-function-initial-scan.json": [],
  "aws/cloudwatch/alarm-state-change-metric.json": [
    ...ALARM,
    "detail.configuration.metrics",
    "detail.configuration.metrics.0.id",
    "detail.configuration.metrics.0.metricStat.metric.name",
    "detail.configuration.metrics.0.metricStat.period",
  ],
  "aws/cloudwatch/alarm-state-change-metric-math.json": [
    ...ALARM,
    "detail.configuration.metrics",
    "detail.configuration.metrics.0.id",
  ],
  "aws/cloudwatch/alarm-state-change-anomaly-detection.json": [...ALARM, "detail.configuration.metrics"],
  "aws/cloudwatch/alarm-state-change-composite.json": [...ALARM, "detail.configuration.alarmRule"],
  "aws/cloudwatch/alarm-state-change-composite-suppressed.json": [...ALARM, "detail.configuration.alarmRule"],
  "aws/states/execution-status-change-running.json": EXECUTION,
  "aws/states/execution-status-change-succeeded.json": EXECUTION,
  "aws/states/execution-status-change-failed.json": EXECUTION,
  "aws/states/execution-status-change-timed-out.json": EXECUTION,
  "aws/states/execution-status-change-aborted.json": EXECUTION,
  "aws/health/account-specific-ec2-instance-store-degraded.json": [
    ...HEALTH,
    "detail.affectedEntities.0.entityValue",
  ],
  "aws/health/public-elb-operational-issue.json": HEALTH,
  "aws/health/ec2-odcr-underutilization.json": [...HEALTH, "detail.affectedEntities.0.entityValue"],
  "github/deployment-created.json": [
    "detail.action",
    "detail.deployment",
    "detail.deployment.id",
    "detail.deployment.sha",
    "detail.deployment.ref",
    "detail.deployment.environment",
    "detail.repository",
    "detail.repository.full_name",
  ],
  "github/release-published.json": [
    "detail.action",
    "detail.release",
    "detail.release.id",
    "detail.release.tag_name",
    "detail.release.draft",
    "detail.release.prerelease",
    "detail.repository.full_name",
  ],
  "github/secret-scanning-alert-created.json": [
    "detail.action",
    "detail.alert",
    "detail.alert.number",
    "detail.alert.secret_type",
    "detail.repository.full_name",
  ],
  "github/secret-scanning-alert-reopened.json": [
    "detail.action",
    "detail.alert.number",
    "detail.alert.secret_type",
    "detail.repository.full_name",
  ],
  "github/workflow-run-completed.json": [
    "detail.action",
    "detail.workflow_run",
    "detail.workflow_run.id",
    "detail.workflow_run.head_sha",
    "detail.workflow_run.status",
    "detail.workflow_run.conclusion",
    "detail.repository.full_name",
  ],
  "github/ping.json": ["detail.zen", "detail.hook_id", "detail.hook"],
};

const fixtures = Object.entries(REQUIRED).map(([file, required]) => ({
  file,
  event: JSON.parse(readFileSync(new URL(file, FIXTURES), "utf8")) as Json,
  supported: required.length > 0,
  required: required.length > 0 ? [...ENVELOPE, ...required].map(toPath) : [],
}));

function toPath(dotted: string): Path {
  return dotted.split(".").map((part) => (/^\d+$/.test(part) ? Number(part) : part));
}

type Mutation =
  | { op: "delete"; at: number }
  | { op: "remove-element"; at: number }
  | { op: "replace"; at: number; value: Json }
  | { op: "huge-string"; at: number; length: number }
  | { op: "add-key"; at: number; key: string; value: Json };

function mutate(root: Json, mutation: Mutation, untouchable: readonly string[] = []): void {
  const paths = pathsOf(root).filter((path) => !untouchable.includes(path.join(".")));
  const path = paths[mutation.at % Math.max(paths.length, 1)];
  if (path === undefined) return;
  const parent = parentOf(root, path);
  const key = path[path.length - 1] as string | number;
  if (parent === undefined) return;
  switch (mutation.op) {
    case "delete":
      // In an array, the element becomes null: removing it would shift a sibling into its place.
      if (Array.isArray(parent)) parent[key as number] = null;
      else delete parent[key];
      return;
    case "remove-element":
      if (Array.isArray(parent)) parent.splice(key as number, 1);
      return;
    case "replace":
      setOwn(parent, key, mutation.value);
      return;
    case "huge-string":
      setOwn(parent, key, "x".repeat(mutation.length));
      return;
    case "add-key": {
      const node = parent[key];
      const target = node !== null && typeof node === "object" && !Array.isArray(node) ? node : parent;
      if (!Array.isArray(target)) setOwn(target as Record<string, Json>, mutation.key, mutation.value);
      return;
    }
  }
}

const jsonValue = fc.jsonValue({ maxDepth: 3 }) as fc.Arbitrary<Json>;
const position = fc.nat({ max: 10_000 });
const POLLUTING_KEYS = ["__proto__", "constructor", "prototype", "toString", "hasOwnProperty", "valueOf"];

const anyMutation: fc.Arbitrary<Mutation> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ op: fc.constant("delete" as const), at: position }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant("remove-element" as const), at: position }) },
  {
    weight: 3,
    arbitrary: fc.record({ op: fc.constant("replace" as const), at: position, value: jsonValue }),
  },
  // Rarer than the rest: serialising a quarter of a megabyte dominates the run time.
  {
    weight: 1,
    arbitrary: fc.record({
      op: fc.constant("huge-string" as const),
      at: position,
      length: fc.constantFrom(10_000, 100_000, 270_000),
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      op: fc.constant("add-key" as const),
      at: position,
      key: fc.oneof(fc.constantFrom(...POLLUTING_KEYS), fc.string()),
      value: jsonValue,
    }),
  },
);

/**
 * Fields that decide which rules apply: changing the detail-type makes it another event (any
 * GitHub event is accepted as a plain object), and counts are only required of a completed scan.
 */
const SELECTORS: readonly string[] = ["source", "detail-type", "detail.scan-status"];

/** Mutations that cannot bring a deleted field back: no new keys, no new objects. */
const primitive = fc.oneof(fc.constant(null), fc.boolean(), fc.double(), fc.string()) as fc.Arbitrary<Json>;
const subtractiveMutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ op: fc.constant("delete" as const), at: position }),
  fc.record({ op: fc.constant("replace" as const), at: position, value: primitive }),
  fc.record({
    op: fc.constant("huge-string" as const),
    at: position,
    length: fc.constantFrom(10_000, 270_000),
  }),
);

/**
 * An answer, not a crash: parseEvent's last-resort catch ("event could not be read") exists for
 * hostile objects, so JSON data reaching it would mean a parser bug it merely hid.
 */
function expectAnswer(result: ParseResult): void {
  if (result.ok) {
    expect(typeof result.event.kind).toBe("string");
  } else {
    expect(typeof result.reason).toBe("string");
    expect(result.reason.trim()).not.toBe("");
    expect(result.reason).not.toMatch(/^event could not be read/);
  }
}

describe("parseEvent under fuzzing from the real fixtures", () => {
  it("starts from fixtures that parse untouched (the Lambda function scan as unsupported)", () => {
    for (const fixture of fixtures) {
      const result = parseEvent(structuredClone(fixture.event));
      const outcome = result.ok ? "accepted" : result.unsupported ? "unsupported" : result.reason;
      expect(outcome, fixture.file).toBe(fixture.supported ? "accepted" : "unsupported");
    }
  });

  it("never throws on a mutated event, and gives every rejection a reason", () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...fixtures),
        fc.array(anyMutation, { minLength: 1, maxLength: 6 }),
        (fixture, mutations) => {
          const event = structuredClone(fixture.event);
          for (const mutation of mutations) mutate(event, mutation);

          expectAnswer(parseEvent(event));
        },
      ),
      { seed: SEED, numRuns: 10_000 },
    );
  });

  it("never throws on arbitrary JSON values in place of an event", () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 4 }), (value) => {
        expectAnswer(parseEvent(value));
      }),
      { seed: SEED, numRuns: 2_000 },
    );
  });

  it("never accepts an event that lost a required field, whatever else changed", () => {
    const withRequired = fixtures.filter((fixture) => fixture.supported);
    fc.assert(
      fc.property(
        fc.constantFrom(...withRequired),
        fc.nat(),
        fc.array(subtractiveMutation, { maxLength: 4 }),
        (fixture, pick, mutations) => {
          const event = structuredClone(fixture.event);
          const removed = fixture.required[pick % fixture.required.length] as Path;
          const parent = parentOf(event, removed);
          if (parent !== undefined) delete parent[removed[removed.length - 1] as string | number];
          // The removed field's ancestors stay put: a required field inside an optional one (an
          // affected entity's entityValue) is rightly no longer required once its parent is gone.
          const ancestors = removed.slice(0, -1).map((_, depth) => removed.slice(0, depth + 1).join("."));
          for (const mutation of mutations) mutate(event, mutation, [...SELECTORS, ...ancestors]);

          const result = parseEvent(event);

          expect(result.ok, `${fixture.file} without ${removed.join(".")} was accepted`).toBe(false);
          expectAnswer(result);
        },
      ),
      { seed: SEED, numRuns: 3_000 },
    );
  });
});

/**
 * Issue #11 item 13: unbounded fields crashed handlers (100 KB strings that became DynamoDB keys, an empty
 * eventRegion, an impact of 1e308). Many mutated events, each with one to three hostile values in place of real
 * ones, through parseEvent: no throw, a reason for every rejection, and nothing accepted that breaks a bound the
 * envelope promises. A seeded generator without shrinking, so the count can be large: set SWITCHYARD_FUZZ_RUNS
 * (e.g. 100000) for a longer run; the default keeps the test near ten seconds.
 */
const BULK_RUNS = fuzzRuns(25_000);
const BULK_FIXTURES = [
  ...Object.keys(REQUIRED),
  "aws/ce/anomaly-detected.json",
  "aws/arc-zonal-shift/autoshift-in-progress-resource.json",
  "aws/arc-zonal-shift/practice-run-interrupted.json",
  "aws/arc-region-switch/plan-execution-started.json",
  "aws/arc-region-switch/plan-execution-failed.json",
].map((file) => {
  const text = readFileSync(new URL(file, FIXTURES), "utf8");
  return { file, text, paths: pathsOf(JSON.parse(text) as Json) };
});

describe("parseEvent under bulk fuzzing with hostile values", () => {
  it(
    `answers ${BULK_RUNS} mutated events without a throw and keeps the envelope's bounds`,
    () => {
      const draw = random(SEED);
      let accepted = 0;
      for (let run = 0; run < BULK_RUNS; run++) {
        const fixture = BULK_FIXTURES[
          Math.floor(draw() * BULK_FIXTURES.length)
        ] as (typeof BULK_FIXTURES)[number];
        const event = JSON.parse(fixture.text) as Json;
        plantHostile(draw, event, fixture.paths);

        const result = parseEvent(event);

        expectAnswer(result);
        if (result.ok) {
          accepted++;
          const envelope = result.event.event;
          if (envelope.account !== undefined) expect(envelope.account).toMatch(/^\d{12}$/);
          if (envelope.region !== undefined) expect(envelope.region).toMatch(/^[a-z]{2}(-gov)?-[a-z]+-\d$/);
          expect(envelope.id.length).toBeLessThanOrEqual(256);
          if (result.event.kind === "health") expect(result.event.event.detail.eventRegion).not.toBe("");
          if (result.event.kind === "cost.anomaly") {
            expect(Math.abs(result.event.event.detail.impact.maxImpact)).toBeLessThan(1e126);
          }
        }
      }
      // Some mutations only touch fields nobody reads: the run must exercise acceptance too.
      expect(accepted).toBeGreaterThan(BULK_RUNS / 20);
    }, // Slow machines and large counts: about a millisecond per event at worst.
    Math.max(60_000, BULK_RUNS * 2),
  );
});
