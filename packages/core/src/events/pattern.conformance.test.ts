import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { type EventPattern, matchesPattern, validatePattern } from "./pattern.ts";

/**
 * The matcher against the rule engine EventBridge runs: every (pattern, event) pair event-ruler's own test
 * suite feeds its Machine, with the answer event-ruler gives, plus the EventBridge user guide's examples.
 * test/fixtures/event-ruler/README.md says where each case comes from and how the answers were obtained.
 */

type Outcome = "match" | "no-match" | "valid" | "invalid";
interface Case {
  from: string;
  pattern: string;
  event?: string;
  expected: Outcome;
  /** Why this matcher answers otherwise, on purpose. */
  knownDifference?: string;
  note?: string;
}

const cases = JSON.parse(
  readFileSync(new URL("../../../../test/fixtures/event-ruler/cases.json", import.meta.url), "utf8"),
) as Case[];

function outcome(testCase: Case): Outcome {
  const pattern = JSON.parse(testCase.pattern) as unknown;
  if (validatePattern(pattern).length > 0) return "invalid";
  if (testCase.event === undefined) return "valid";
  return matchesPattern(pattern as EventPattern, JSON.parse(testCase.event)) ? "match" : "no-match";
}

describe("event-pattern matching against event-ruler and the EventBridge guide", () => {
  it("covers every source of cases", () => {
    const sources = new Set(cases.map((c) => c.from.split(":")[0]));

    expect(cases.length).toBeGreaterThan(4000);
    expect([...sources].sort()).toEqual(["docs", "event-ruler", "event-ruler(engine)", "eventbridge-quota"]);
  });

  it("gives event-ruler's answer on every case but the known differences", () => {
    const disagreements = cases
      .filter((c) => c.knownDifference === undefined)
      .map((c) => ({ ...c, actual: outcome(c) }))
      .filter((c) => c.actual !== c.expected)
      .map(({ from, pattern, event, expected, actual }) => ({ from, pattern, event, expected, actual }));

    expect(disagreements).toEqual([]);
  });

  it("still differs where the fixture says it does, so the list of differences stays true", () => {
    const known = cases.filter((c) => c.knownDifference !== undefined);

    expect(known.length).toBeGreaterThan(0);
    for (const c of known) expect(outcome(c), `${c.from}: ${c.knownDifference}`).not.toBe(c.expected);
  });
});
