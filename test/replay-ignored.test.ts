import { describe, expect, it } from "vitest";
import { replay } from "../packages/cli/src/replay.ts";
import { example, fixture } from "./support/scenario.ts";

/**
 * An event no rule matches is one EventBridge never delivers (issue #10 item 9): the replay report calls it
 * ignored, not rejected; rejected stays for an event a rule matched that fails its schema.
 */
describe("replay reports of events no rule matches", () => {
  it("reports an event no rule matches as ignored, even one Switchyard has no parser for", async () => {
    const unknown = {
      ...fixture<Record<string, unknown>>("aws/ecr/image-push.json"),
      source: "aws.codecommit",
    };

    const report = await replay(example(), [unknown]);

    expect(report.events).toEqual([
      expect.objectContaining({ status: "ignored", reason: "no rule matches this event", reactions: [] }),
    ]);
    expect(report.deadLetters).toEqual([]);
  });

  it("reports an ARC Region switch event no rule matches as ignored, not malformed", async () => {
    // Plan executions are recorded (test/region-switch.e2e.test.ts); plan evaluations match no rule.
    const evaluation = {
      ...fixture<Record<string, unknown>>("aws/arc-region-switch/plan-execution-failed.json"),
      "detail-type": "ARC Region Switch Plan Evaluation",
    };
    const report = await replay(example(), [evaluation]);

    expect(report.events.map((e) => [e.status, e.reason])).toEqual([
      ["ignored", "no rule matches this event"],
    ]);
  });

  it("still rejects an event a rule matched that fails its schema", async () => {
    const push = fixture<{ detail: Record<string, unknown> }>("aws/ecr/image-push.json");
    push.detail["image-digest"] = "sha256:not-hex";

    const report = await replay(example(), [push]);

    expect(report.events[0]?.status).toBe("rejected");
    expect(report.events[0]?.reason).toContain("detail.image-digest");
  });
});
