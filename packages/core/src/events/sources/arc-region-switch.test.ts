import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { type KnownEvent, parseEvent } from "../parse.ts";

// Invented fixtures: AWS publishes no sample (see the fixtures' README).
const FIXTURES = new URL("../../../../../test/fixtures/aws/arc-region-switch/", import.meta.url);
const sample = (name: string): Record<string, unknown> =>
  JSON.parse(readFileSync(new URL(`${name}.json`, FIXTURES), "utf8"));

type Execution = Extract<KnownEvent, { kind: "arc.region-switch-execution" }>;

describe("parseEvent on ARC Region switch plan execution events", () => {
  it.each([
    ["plan-execution-started", "started"],
    ["plan-execution-completed", "completed"],
    ["plan-execution-failed", "failed"],
  ])("reads %s as a plan execution that %s", (name, phase) => {
    const result = parseEvent(sample(name));

    expect(result.ok ? result.event.kind : result.reason).toBe("arc.region-switch-execution");
    const execution = (result.ok ? result.event : undefined) as Execution;
    expect(execution.phase).toBe(phase);
    expect(execution.event.detail.planArn).toBe(
      "arn:aws:arc-region-switch::111122223333:plan/orders-plan:abc123",
    );
  });

  it("accepts a detail that names none of the API's fields, since AWS documents no sample", () => {
    const event = { ...sample("plan-execution-started"), detail: { somethingElse: true } };
    const result = parseEvent(event);

    expect(result.ok && result.event.kind === "arc.region-switch-execution" && result.event.phase).toBe(
      "other",
    );
  });

  it("rejects an execution region that is not a Region code", () => {
    const event = sample("plan-execution-started");
    (event.detail as Record<string, unknown>).executionRegion = "";

    const result = parseEvent(event);

    expect(result.ok ? "accepted" : result.reason).toContain("detail.executionRegion");
  });
});
