import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { type KnownEvent, type ParseResult, parseEvent } from "../parse.ts";

const FIXTURES = new URL("../../../../../test/fixtures/aws/arc-zonal-shift/", import.meta.url);
const sample = (name: string): Record<string, unknown> =>
  JSON.parse(readFileSync(new URL(`${name}.json`, FIXTURES), "utf8"));

function zonalShift(result: ParseResult): Extract<KnownEvent, { kind: "arc.zonal-shift" }> {
  if (!result.ok) throw new Error(`expected the event to be accepted, got: ${result.reason}`);
  expect(result.event.kind).toBe("arc.zonal-shift");
  return result.event as Extract<KnownEvent, { kind: "arc.zonal-shift" }>;
}

describe("parseEvent on ARC zonal shift events", () => {
  it.each([
    "autoshift-in-progress-observer",
    "autoshift-in-progress-resource",
    "practice-run-interrupted",
    "fis-experiment-autoshift-in-progress",
    "manual-shift-started",
  ])("reads the Availability Zone of AWS's %s sample", (name) => {
    const { event } = zonalShift(parseEvent(sample(name)));

    expect(event.detail.metadata.awayFrom).toBe("use1-az2");
  });

  it("keeps why a practice run was interrupted", () => {
    const { event } = zonalShift(parseEvent(sample("practice-run-interrupted")));

    expect(event.detail.data).toEqual({
      additionalFailureInfo: "Practice run interrupted. The blocking alarm entered ALARM state.",
    });
  });

  it("rejects an event without the Availability Zone, naming the field", () => {
    const event = sample("autoshift-in-progress-resource");
    delete (event.detail as { metadata: Record<string, unknown> }).metadata.awayFrom;

    const result = parseEvent(event);

    expect(result.ok).toBe(false);
    expect(result.ok ? "" : result.reason).toContain("detail.metadata.awayFrom");
  });
});
