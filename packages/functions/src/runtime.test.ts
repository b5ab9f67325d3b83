import type { Context } from "aws-lambda";
import fc from "fast-check";
import { afterEach, describe, expect, it, vi } from "vitest";

// This file checks what is logged and counted: logs and metrics on, written through the global
// console (POWERTOOLS_DEV) so the test can read them. Set before the modules that read it load.
process.env.POWERTOOLS_DEV = "true";
process.env.POWERTOOLS_LOG_LEVEL = "INFO";
process.env.POWERTOOLS_METRICS_DISABLED = "false";
const { startControlPlane } = await import("../../cli/src/local/control-plane.ts");
const { parseConfig } = await import("../../core/src/config/index.ts");
const { logger } = await import("../../core/src/observability/logger.ts");
const { DEAD_LETTER_BODY_LIMIT, DEAD_LETTER_MESSAGE_LIMIT, deadLetterBody } = await import("./runtime.ts");

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

/** The rollback handler on a local control plane, with the console captured; both undone after `body`. */
async function withRollbackHandler(
  body: (t: {
    handler: ReturnType<typeof import("./rollback.ts").make>;
    out: ReturnType<typeof captureConsole>;
    plane: Awaited<ReturnType<typeof startControlPlane>>;
  }) => Promise<void>,
): Promise<void> {
  const { make } = await import("./rollback.ts");
  const plane = await startControlPlane(config);
  const out = captureConsole();
  try {
    await body({ handler: make(() => plane.context), out, plane });
  } finally {
    out.restore();
    await plane.close();
  }
}

describe("the bus handler chain", () => {
  let restore: (() => void) | undefined;
  afterEach(() => restore?.());

  it("logs, counts and dead-letters a malformed event, and returns the rejection instead of throwing", async () => {
    await withRollbackHandler(async ({ handler, out, plane }) => {
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
    });
  });

  it("logs the decision with the event id as correlation id and counts the outcome", async () => {
    await withRollbackHandler(async ({ handler, out }) => {
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
    });
  });
});

describe("the dead-letter body", () => {
  const bytes = (body: string) => Buffer.byteLength(body);

  it("keeps an event that fits, whole", () => {
    const event = { id: "e-1", source: "aws.cloudwatch", "detail-type": "x", detail: { a: "é".repeat(10) } };

    const body = JSON.parse(deadLetterBody("rollback", "detail.alarmName: missing", event));

    expect(body).toEqual({ reaction: "rollback", reason: "detail.alarmName: missing", event });
  });

  it("replaces an event too large for the queue by a JSON summary of it, never by a cut", () => {
    const event = {
      id: "e-big",
      source: "aws.ecr",
      "detail-type": "ECR Image Action",
      detail: { padding: "€".repeat(200_000) },
    };

    const text = deadLetterBody("deploy", "detail.repository-name: missing", event);
    const body = JSON.parse(text);

    expect(bytes(text)).toBeLessThanOrEqual(DEAD_LETTER_BODY_LIMIT);
    expect(body).toEqual({
      reaction: "deploy",
      reason: "detail.repository-name: missing",
      event: {
        omitted: "too large for the dead-letter queue",
        id: "e-big",
        source: "aws.ecr",
        "detail-type": "ECR Image Action",
        bytes: bytes(JSON.stringify(event)),
        limit: DEAD_LETTER_BODY_LIMIT,
      },
    });
  });

  it("summarises an event that cannot be written as JSON", () => {
    const event: Record<string, unknown> = { id: "e-loop", source: "x" };
    event.self = event;

    const body = JSON.parse(deadLetterBody("cost", "not an event", event));

    expect(body.event).toMatchObject({
      omitted: "not serialisable as JSON",
      id: "e-loop",
      source: "x",
      bytes: null,
    });
  });

  it("is valid JSON within the queue's limit for any event and reason", () => {
    const events = fc.oneof(
      fc.jsonValue(),
      fc.record({
        id: fc.string(),
        source: fc.string({ maxLength: 2_000 }),
        "detail-type": fc.string(),
        detail: fc.string({ minLength: 0, maxLength: 300_000, unit: "binary" }),
      }),
    );
    fc.assert(
      fc.property(events, fc.string({ maxLength: 10_000, unit: "binary" }), (event, reason) => {
        const text = deadLetterBody("deploy", reason, event);

        expect(() => JSON.parse(text)).not.toThrow();
        expect(bytes(text)).toBeLessThanOrEqual(DEAD_LETTER_BODY_LIMIT);
        expect(DEAD_LETTER_BODY_LIMIT).toBeLessThan(DEAD_LETTER_MESSAGE_LIMIT);
      }),
      { numRuns: 60 },
    );
  });

  it("dead-letters an oversized malformed event to a queue that takes 256 KiB, as a summary", async () => {
    await withRollbackHandler(async ({ handler, out, plane }) => {
      const event = {
        id: "e-huge",
        source: "aws.cloudwatch",
        "detail-type": "CloudWatch Alarm State Change",
        detail: { state: { value: "ALARM" }, padding: "x".repeat(400_000) },
      };

      const result = await handler(event, { functionName: "rollback", awsRequestId: "r-3" } as Context);

      expect(result).toMatchObject({ outcome: "rejected" });
      const [dead] = plane.account.sqs.messages(plane.dlqName);
      expect(JSON.parse(String(dead?.Body)).event).toMatchObject({
        id: "e-huge",
        omitted: expect.any(String),
      });
      expect(out.lines()).not.toContainEqual(
        expect.objectContaining({ message: "could not dead-letter a rejected event" }),
      );
    });
  });

  let restore: (() => void) | undefined;
  afterEach(() => restore?.());
});

describe("the logger", () => {
  let restore: (() => void) | undefined;
  afterEach(() => restore?.());

  it("redacts fields whose names suggest a secret value, however deep, and keeps the ids that name a secret", () => {
    const out = captureConsole();
    restore = out.restore;

    logger.info("connected", {
      password: "hunter2",
      nested: { apiToken: "ghp_not_for_logs", list: [{ clientSecret: "s3cr3t" }] },
      secretId: "prod/db",
      secret: "api",
    });

    const line = out.lines().find((l) => l.message === "connected");
    expect(line).toMatchObject({
      password: "[redacted]",
      nested: { apiToken: "[redacted]", list: [{ clientSecret: "[redacted]" }] },
      secretId: "prod/db",
      secret: "api",
    });
    expect(JSON.stringify(line)).not.toMatch(/hunter2|ghp_not_for_logs|s3cr3t/);
  });
});
