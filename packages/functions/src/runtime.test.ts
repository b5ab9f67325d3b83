import type { Context } from "aws-lambda";
import { afterEach, describe, expect, it, vi } from "vitest";

// This file checks what is logged and counted: logs and metrics on, written through the global
// console (POWERTOOLS_DEV) so the test can read them. Set before the modules that read it load.
process.env.POWERTOOLS_DEV = "true";
process.env.POWERTOOLS_LOG_LEVEL = "INFO";
process.env.POWERTOOLS_METRICS_DISABLED = "false";
const { startControlPlane } = await import("../../cli/src/local/control-plane.ts");
const { parseConfig } = await import("../../core/src/config/index.ts");

const config = parseConfig({
  deployments: [
    {
      name: "api",
      function: "api-handler",
      alias: "live",
      image: { repository: "my-repository-name", tag: "latest" },
      strategy: "AllAtOnce",
      alarms: ["ServerCpuTooHigh"],
    },
  ],
});

/** Every log line and metric the functions print (one console call each), parsed. */
function captureConsole(): { lines: () => Record<string, unknown>[]; restore: () => void } {
  const calls: string[] = [];
  const spies = (["log", "info", "warn", "error", "debug"] as const).map((level) =>
    vi.spyOn(console, level).mockImplementation((...args: unknown[]) => {
      calls.push(args.map((a) => (typeof a === "string" ? a : JSON.stringify(a))).join(" "));
    }),
  );
  return {
    lines: () =>
      calls.filter((c) => c.trimStart().startsWith("{")).map((c) => JSON.parse(c) as Record<string, unknown>),
    restore: () => {
      for (const spy of spies) spy.mockRestore();
    },
  };
}

describe("the bus handler chain", () => {
  let restore: (() => void) | undefined;
  afterEach(() => restore?.());

  it("logs, counts and dead-letters a malformed event, and returns the rejection instead of throwing", async () => {
    const { make } = await import("./rollback.ts");
    const plane = await startControlPlane(config);
    try {
      const handler = make(() => plane.context);
      const out = captureConsole();
      restore = out.restore;

      const result = await handler(
        {
          id: "e-1",
          source: "aws.cloudwatch",
          "detail-type": "CloudWatch Alarm State Change",
          detail: { state: { value: "ALARM" } },
        },
        { functionName: "rollback", awsRequestId: "r-1" } as Context,
      );

      expect(result).toMatchObject({
        reaction: "rollback",
        outcome: "rejected",
        reason: expect.stringMatching(/detail\.alarmName/),
      });
      const lines = out.lines();
      expect(lines).toContainEqual(
        expect.objectContaining({
          level: "WARN",
          message: "event rejected",
          correlationId: "e-1",
          reaction: "rollback",
        }),
      );
      expect(lines).toContainEqual(expect.objectContaining({ events_rejected: 1, reaction: "rollback" }));
      const [dead] = plane.account.sqs.messages(plane.dlqName);
      expect(dead?.MessageAttributes.reason?.StringValue).toMatch(/detail\.alarmName/);
      expect(JSON.parse(String(dead?.Body)).event.id).toBe("e-1");
    } finally {
      await plane.close();
    }
  });

  it("logs the decision with the event id as correlation id and counts the outcome", async () => {
    const { make } = await import("./rollback.ts");
    const plane = await startControlPlane(config);
    try {
      const handler = make(() => plane.context);
      const out = captureConsole();
      restore = out.restore;
      const event = {
        version: "0",
        id: "c4c1c1c9-6542-e61b-6ef0-8c4d36933a92",
        "detail-type": "CloudWatch Alarm State Change",
        source: "aws.cloudwatch",
        account: "123456789012",
        time: "2019-10-02T17:04:40Z",
        region: "us-east-1",
        resources: [],
        detail: {
          alarmName: "ServerCpuTooHigh",
          configuration: {
            metrics: [
              {
                id: "m1",
                metricStat: {
                  metric: { name: "CPUUtilization", namespace: "AWS/EC2", dimensions: {} },
                  period: 300,
                  stat: "Average",
                },
                returnData: true,
              },
            ],
          },
          previousState: { reason: "r", timestamp: "2019-10-01T13:56:40.987+0000", value: "OK" },
          state: { reason: "r", timestamp: "2019-10-02T17:04:40.989+0000", value: "ALARM" },
        },
      };

      await handler(event, { functionName: "rollback", awsRequestId: "r-2" } as Context);

      const lines = out.lines();
      expect(lines).toContainEqual(
        expect.objectContaining({
          message: "rollback: stale",
          correlationId: event.id,
          reaction: "rollback",
        }),
      );
      expect(lines).toContainEqual(expect.objectContaining({ outcome_stale: 1, reaction: "rollback" }));
    } finally {
      await plane.close();
    }
  });
});
