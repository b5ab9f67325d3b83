import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { inRepo, switchyard, tempFile } from "./support/cli.ts";

const example = (path: string) => inRepo(`examples/ignition-cost/${path}`);
const CONFIG = example("switchyard.config.ts");
const RDS_ANOMALY = "a1e5c0de-0002-4c3e-9d5e-1c2d3e4f5a6b";

describe("switchyard replay with cost alerts", () => {
  it("runs aws.ce events and an SNS-delivered alert (the Lambda SNS event) through the cost intake", () => {
    const { code, stdout } = switchyard(
      "replay",
      "--json",
      "--config",
      CONFIG,
      example("alerts/day-one.json"),
      example("alerts/elasticache-sns.json"),
    );

    expect(code).toBe(0);
    const report = JSON.parse(stdout) as {
      events: { source: string; status: string; reactions: { reaction: string; decision: string }[] }[];
    };
    expect(report.events.map((e) => [e.source, e.status, e.reactions.map((r) => r.decision).join()])).toEqual(
      [
        ["aws.ce", "accepted", "started"],
        ["aws.ce", "accepted", "started"],
        ["aws.ce", "accepted", "escalated"],
        ["aws.ce", "accepted", "started"],
        ["aws:sns", "accepted", "updated"],
      ],
    );
  });

  it("reports a malformed SNS-delivered alert as rejected, with the field at fault", () => {
    const event = JSON.parse(readFileSync(example("alerts/elasticache-sns.json"), "utf8"));
    const message = JSON.parse(event.Records[0].Sns.Message);
    delete message.impact;
    event.Records[0].Sns.Message = JSON.stringify(message);
    const file = tempFile("no-impact.json", event, "switchyard-cost-");

    const { code, stdout } = switchyard("replay", "--json", "--config", CONFIG, file);

    expect(code).toBe(0);
    const report = JSON.parse(stdout) as {
      events: { status: string; reason?: string }[];
      deadLetters: unknown[];
    };
    expect(report.events[0]?.status).toBe("rejected");
    expect(report.events[0]?.reason).toMatch(/^Records\[0\]\.Sns\.Message\.impact: /);
    expect(report.deadLetters).toHaveLength(1);
  });
});

describe("switchyard approve|deny on the simulated account", () => {
  it("approves the RDS critical tier after replaying the alerts, and the schedules are disabled", () => {
    const { code, stdout } = switchyard(
      "approve",
      RDS_ANOMALY,
      "--by",
      "alice",
      "--config",
      CONFIG,
      example("alerts/day-one.json"),
    );

    expect(code).toBe(0);
    expect(stdout).toMatch(/^approved by alice/);
    expect(stdout).toMatch(/applied\s+disabled rule ignition-etl-nightly/);
  });

  it("denies it, and nothing is disabled", () => {
    const { code, stdout } = switchyard(
      "deny",
      RDS_ANOMALY,
      "--by",
      "bob",
      "--config",
      CONFIG,
      example("alerts/day-one.json"),
    );

    expect(code).toBe(0);
    expect(stdout).toMatch(/^denied by bob/);
    expect(stdout).not.toMatch(/disabled rule/);
  });

  it("fails with the reason when the anomaly waits for no approval", () => {
    const { code, stdout } = switchyard(
      "approve",
      "a1e5c0de-0001-4c3e-9d5e-1c2d3e4f5a6b",
      "--config",
      CONFIG,
      example("alerts/day-one.json"),
    );

    expect(code).toBe(1);
    expect(stdout).toMatch(/is not waiting for approval/);
  });

  it("asks for the alert files when there are none to replay", () => {
    const { code, stderr } = switchyard("approve", RDS_ANOMALY, "--config", CONFIG);

    expect(code).toBe(2);
    expect(stderr).toMatch(/needs the alert FILE\(s\) to replay first/);
  });
});

describe("switchyard scenario ignition-cost", () => {
  it("plays the Ignition example to the expected end", () => {
    const { code, stdout } = switchyard("scenario", "ignition-cost");

    expect(stdout).toMatch(/✓ as expected/);
    expect(code).toBe(0);
  });
});
