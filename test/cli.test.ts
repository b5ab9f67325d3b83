import { describe, expect, it } from "vitest";
import exampleConfig from "../switchyard.config.ts";
import { inRepo, PUSH_WITHOUT_IMAGE, switchyard, tempFile } from "./support/cli.ts";

const fixtures = (path: string) => inRepo(`test/fixtures/${path}`);

describe("switchyard replay", () => {
  it("prints one JSON report: events in input order with their reactions, and the final aliases", () => {
    const { code, stdout } = switchyard("replay", "--json", fixtures("scenarios/canary-rolled-back.json"));

    expect(code).toBe(0);
    const report = JSON.parse(stdout);
    expect(report.events.map((e: { id: string }) => e.id)).toEqual([
      "13cde686-328b-6117-af20-0e5566167482",
      "85fc3613-e913-7fc4-a80c-a3753e4aa9af",
      "c4c1c1c9-6542-e61b-6ef0-8c4d36933a93",
    ]);
    expect(report.events[0]).toMatchObject({
      source: "aws.ecr",
      detailType: "ECR Image Action",
      status: "accepted",
    });
    expect(report.events[0].reactions[0]).toMatchObject({ reaction: "deploy", outcome: "rolled-back" });
    expect(report.events[0].reactions[0].execution).toMatch(
      /^arn:aws:states:us-east-1:123456789012:execution:switchyard-deploy:api-/,
    );
    expect(report.events[2].reactions[0]).toMatchObject({ reaction: "rollback", outcome: "rolled-back" });
    expect(report.events[2].reactions[0].calls).toEqual(
      expect.arrayContaining(["lambda:UpdateAlias", "states:StopExecution"]),
    );
    expect(report.aliases).toEqual({
      "api-handler:live": { version: "1", weights: {} },
      "queue-worker:live": { version: "1", weights: {} },
    });
  });

  it("runs timers out on the virtual clock after the last event, so the canary completes", () => {
    const { code, stdout } = switchyard("replay", "--json", fixtures("scenarios/canary-clean.json"));

    expect(code).toBe(0);
    expect(JSON.parse(stdout).aliases["api-handler:live"]).toEqual({ version: "2", weights: {} });
  });

  it("accepts several files, delivered in the order given", () => {
    const { code, stdout } = switchyard(
      "replay",
      "--json",
      fixtures("aws/ecr/image-push.json"),
      fixtures("aws/ecr/image-scan.json"),
    );

    expect(code).toBe(0);
    const report = JSON.parse(stdout);
    expect(report.events[0].reactions[0].outcome).toBe("blocked");
  });

  it("reports a malformed event as rejected with a reason and exits 0", () => {
    const file = tempFile("bad.json", PUSH_WITHOUT_IMAGE);

    const { code, stdout } = switchyard("replay", "--json", file);

    expect(code).toBe(0);
    const [event] = JSON.parse(stdout).events;
    expect(event.status).toBe("rejected");
    expect(event.reason).toMatch(/detail\.repository-name/);
  });

  it("exits 2 naming the file when a file is not JSON, without a stack trace", () => {
    const file = tempFile("truncated.json", '{"id": "x", "source": "aws.ecr"');

    const { code, stderr } = switchyard("replay", file);

    expect(code).toBe(2);
    expect(stderr).toContain(file);
    expect(stderr).not.toMatch(/\n\s+at /);
  });

  it("exits 2 naming the file when a file cannot be read", () => {
    const { code, stderr } = switchyard("replay", "/nonexistent/events.json");

    expect(code).toBe(2);
    expect(stderr).toContain("/nonexistent/events.json");
    expect(stderr).toContain("ENOENT");
  });

  it("exits 2 with the config's field errors when --config is invalid", () => {
    const { code, stderr } = switchyard(
      "replay",
      "--config",
      fixtures("config/invalid.json"),
      fixtures("aws/ecr/image-push.json"),
    );

    expect(code).toBe(2);
    expect(stderr).toMatch(/deployments\[0\]/);
    expect(stderr).not.toMatch(/\n\s+at /);
  });
});

describe("switchyard scenario and invoke", () => {
  it("lists the built-in scenarios, one line each", () => {
    const { code, stdout } = switchyard("scenario", "--list");

    expect(code).toBe(0);
    expect(stdout).toMatch(/^canary-rollback\s+push → scan passes/m);
    expect(stdout.trim().split("\n").length).toBeGreaterThanOrEqual(5);
  });

  it("plays a scenario and exits 0 when it ends as expected", () => {
    const { code, stdout } = switchyard("scenario", "scan-blocked", "--json");

    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toMatchObject({ name: "scan-blocked", passed: true });
  });

  it("exits 1 naming each expectation the scenario's world does not meet", () => {
    // Without the scan gate nothing blocks the image: scan-blocked's expectations cannot hold.
    const ungated = {
      ...exampleConfig,
      deployments: exampleConfig.deployments?.map(({ gates: _, ...d }) => d),
    };
    const file = tempFile("ungated.json", ungated);

    const { code, stdout } = switchyard("scenario", "scan-blocked", "--config", file);

    expect(code).toBe(1);
    expect(stdout).toMatch(
      /\n✗ alias should be untouched on version 1; executions should end blocked, ended deployed\n$/,
    );
  });

  it("invokes one function with a real event and prints its result", () => {
    const { code, stdout } = switchyard(
      "invoke",
      "rollback",
      fixtures("aws/cloudwatch/alarm-state-change-metric.json"),
    );

    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toMatchObject({ reaction: "rollback" });
  });

  it("exits 1 with the error's type and message when the function does not exist", () => {
    const { code, stderr } = switchyard("invoke", "no-such-function", fixtures("aws/ecr/image-push.json"));

    expect(code).toBe(1);
    expect(stderr).toMatch(/^UnknownFunction: no Switchyard function "no-such-function"/);
  });
});

describe("switchyard operations verbs", () => {
  it("prints the status of every deployment on the simulated account", () => {
    const { code, stdout } = switchyard("status", "--json");

    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toMatchObject({
      paused: false,
      deployments: [
        { deployment: "api", alias: "api-handler:live", serving: "version 1 (100%)" },
        { deployment: "worker", alias: "queue-worker:live", serving: "version 1 (100%)" },
      ],
    });
  });

  it("refuses to pause without a reason for the audit log", () => {
    const { code, stderr } = switchyard("pause");

    expect(code).toBe(2);
    expect(stderr).toContain('pause needs --reason "…"');
  });

  it("with --dry-run, reads for real and prints the writes it did not send", () => {
    const { code, stdout } = switchyard("pause", "--reason", "game day", "--dry-run", "--json");

    expect(code).toBe(0);
    const { plan } = JSON.parse(stdout);
    expect(plan.map((w: { service: string; action: string }) => `${w.service}:${w.action}`)).toEqual([
      "DynamoDB:PutItem",
      "DynamoDB:PutItem",
    ]);
    expect(plan[0].input.Item).toMatchObject({ pk: "control", paused: true, reason: "game day" });
  });

  it("asks which stack before acting on a real account, naming --stage, SST's outputs and --table", () => {
    const { code, stderr } = switchyard("status", "--aws");

    expect(code).toBe(2);
    expect(stderr).toContain("--aws needs to know which stack: pass --stage STAGE");
    expect(stderr).toContain(".sst/outputs.json");
    expect(stderr).toContain("--table NAME");
    expect(stderr).not.toMatch(/\n\s+at /);
  });
});

describe("npm start", () => {
  it("plays the showcase: a canary rolled back by an alarm, then a clean deploy, and exits 0", () => {
    const { code, stdout } = switchyard("showcase");

    expect(code).toBe(0);
    expect(stdout).toContain("alias api-handler:live → 90% v1 / 10% v2");
    expect(stdout).toContain("alarm ServerCpuTooHigh: OK → ALARM");
    expect(stdout).toContain("alias api-handler:live → 100% v1");
    expect(stdout).toContain("alias api-handler:live → 100% v2");
    expect(stdout).not.toContain("✗");
  });
});
