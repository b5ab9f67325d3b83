import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { LOCAL_NAMES, startControlPlane } from "../packages/cli/src/local/control-plane.ts";
import type { BusEventOut } from "../packages/sim/src/index.ts";
import { example, fixture } from "./support/scenario.ts";

/**
 * Malformed events that still look routable (right source and detail-type, so a rule sends them
 * to a function) go through the whole bus → function path: every one is rejected with a
 * reason, dead-lettered, and acts on nothing; no handler throws.
 */
const SEED = 20_261_125;
const RUNS = 10_000;

/** Per fixture, the detail fields its reaction needs (a malformed event lacks or breaks one). */
const TARGETS: Record<string, string[][]> = {
  "aws/ecr/image-push.json": [["repository-name"], ["image-digest"], ["action-type"], ["result"]],
  "scenarios/image-scan-clean.json": [
    ["repository-name"],
    ["image-digest"],
    ["scan-status"],
    ["finding-severity-counts"],
  ],
  "scenarios/alarm-server-cpu-too-high.json": [
    ["alarmName"],
    ["state", "timestamp"],
    ["previousState"],
    ["configuration"],
  ],
};
const fixtures = Object.fromEntries(Object.keys(TARGETS).map((path) => [path, fixture<BusEventOut>(path)]));

const wrongValue = fc.oneof(
  fc.constant(null),
  fc.integer(),
  fc.boolean(),
  fc.array(fc.string(), { maxLength: 3 }),
  // Never empty: {} would be a valid (empty) finding-severity-counts.
  fc.dictionary(fc.string({ minLength: 1, maxLength: 8 }), fc.string({ maxLength: 8 }), {
    minKeys: 1,
    maxKeys: 3,
  }),
  fc.constant(undefined),
);

const malformed = fc
  .record({
    path: fc.constantFrom(...Object.keys(TARGETS)),
    pick: fc.nat(),
    value: wrongValue,
    id: fc.uuid(),
    junkKey: fc.constantFrom("__proto__", "constructor", "extra", "toString"),
    junk: fc.jsonValue({ maxDepth: 2 }),
  })
  .map(({ path, pick, value, id, junkKey, junk }) => {
    const event = structuredClone(fixtures[path]) as BusEventOut & { detail: Record<string, unknown> };
    const fields = TARGETS[path] as string[][];
    const field = fields[pick % fields.length] as string[];
    let parent = event.detail as Record<string, unknown>;
    for (const key of field.slice(0, -1)) parent = parent[key] as Record<string, unknown>;
    const last = field.at(-1) as string;
    if (value === undefined) delete parent[last];
    else parent[last] = value;
    Object.defineProperty(event.detail, junkKey, {
      value: junk,
      enumerable: true,
      configurable: true,
      writable: true,
    });
    return { ...event, id };
  });

describe("malformed events through the bus and the functions", () => {
  it(`rejects ${RUNS} malformed routable events with a reason, dead-letters them, and acts on none`, async () => {
    const plane = await startControlPlane(example());
    try {
      const events = fc.sample(malformed, { seed: SEED, numRuns: RUNS });
      let routed = 0;
      for (const event of events) {
        const delivery = await plane.account.events.deliver(event as BusEventOut);
        for (const outcome of delivery.outcomes) {
          routed++;
          expect(outcome.error).toBeUndefined();
          expect(outcome.result).toMatchObject({ outcome: "rejected", reason: expect.stringMatching(/\S/) });
        }
      }
      await plane.settle();

      expect(routed).toBeGreaterThan(RUNS / 2);
      const writes = plane.account.calls.filter((c) => !/^(Get|Describe|List|Query)/.test(c.action));
      expect(new Set(writes.map((c) => `${c.service}:${c.action}`))).toEqual(new Set(["sqs:SendMessage"]));
      const dead = plane.account.sqs.messages(LOCAL_NAMES.dlq);
      expect(dead).toHaveLength(routed);
      expect(dead.every((m) => (m.MessageAttributes.reason?.StringValue ?? "").trim() !== "")).toBe(true);
      expect(plane.aliases()["api-handler:live"]).toEqual({ version: "1", weights: {} });
    } finally {
      await plane.close();
    }
  });
});
