import { EventBridgeClient, PutEventsCommand, type PutEventsRequestEntry } from "@aws-sdk/client-eventbridge";
import { describe, expect, it } from "vitest";
import { SimulatedAccount } from "../index.ts";
import { entrySize } from "./eventbridge.ts";

const credentials = { accessKeyId: "local", secretAccessKey: "local" };
const LIMIT = 262_144;

/** An entry whose detail is a string of `char` sized so that the entry measures `bytes`. */
function entryOf(
  bytes: number,
  char: string,
  extra: Partial<PutEventsRequestEntry> = {},
): PutEventsRequestEntry {
  const base = { Source: "test.size", DetailType: "Size", ...extra };
  const overhead = entrySize({ ...base, Detail: '{"s":""}' });
  const per = Buffer.byteLength(JSON.stringify(char).slice(1, -1));
  const count = Math.floor((bytes - overhead) / per);
  const pad = "x".repeat(bytes - overhead - count * per);
  const entry = { ...base, Detail: JSON.stringify({ s: char.repeat(count) + pad }) };
  expect(entrySize(entry)).toBe(bytes);
  return entry;
}

describe("PutEvents entry size in the simulated account", () => {
  it("counts Time as 14 bytes and Source, DetailType, Detail and Resources as UTF-8 bytes", () => {
    expect(
      entrySize({
        Time: new Date(),
        Source: "app",
        DetailType: "é",
        Detail: '{"a":"\\""}',
        Resources: ["r1", "ü"],
      }),
    ).toBe(14 + 3 + 2 + 10 + 2 + 2);
    expect(entrySize({ Source: "app", DetailType: "x", Detail: "{}" })).toBe(6);
  });

  it("accepts an entry at the limit even when its escaped JSON is twice as large, and refuses it with a Time (14 bytes more)", async () => {
    const account = new SimulatedAccount({ region: "us-east-1" });
    const events = new EventBridgeClient({ region: "us-east-1", credentials });
    account.attach(events);
    // Each quote is 2 bytes in Detail (\") and 4 in the entry's JSON (\\\"): escaped JSON would count double.
    const atLimit = entryOf(LIMIT, '"');
    const withTime = { ...atLimit, Time: new Date() };

    const out = await events.send(new PutEventsCommand({ Entries: [atLimit, withTime] }));
    await account.activity.idle();

    expect(Buffer.byteLength(JSON.stringify(atLimit))).toBeGreaterThan(2 * LIMIT - 100);
    expect(out.FailedEntryCount).toBe(1);
    expect(out.Entries?.[0]?.EventId).toBeDefined();
    expect(out.Entries?.[1]?.ErrorCode).toBe("EventTooLarge");
  });
});

/** A complete bus event with `fields` over a fixed envelope (any shape: the matcher must cope). */
const busEvent = (fields: Record<string, unknown>) =>
  ({
    version: "0",
    id: "1",
    account: "123456789012",
    time: "2024-01-01T00:00:00Z",
    region: "us-east-1",
    resources: [],
    detail: {},
    ...fields,
  }) as never;

describe("PutEvents and delivery in the simulated account", () => {
  it("takes 1 to 10 entries, each with a JSON object as Detail", async () => {
    const account = new SimulatedAccount();
    const put = (Entries: Record<string, unknown>[]) => account.call("events", "PutEvents", { Entries });
    const entry = { Source: "test.app", DetailType: "Thing", Detail: "{}" };

    await expect(put([])).rejects.toMatchObject({ name: "ValidationException" });
    await expect(put(Array(11).fill(entry))).rejects.toMatchObject({ name: "ValidationException" });
    const out = await put([entry, { ...entry, Detail: "[1]" }, { ...entry, Detail: "{" }]);
    await account.activity.idle();

    expect((out.Entries as { ErrorCode?: string }[]).map((e) => e.ErrorCode)).toEqual([
      undefined,
      "MalformedDetail",
      "MalformedDetail",
    ]);
  });

  it("invokes a Lambda target asynchronously: the delivery reports the first attempt, Lambda retries it after 1 and 3 minutes", async () => {
    const account = new SimulatedAccount();
    const at: number[] = [];
    account.lambda.registerHandler("flaky", async () => {
      at.push(account.clock.now());
      throw new Error("down");
    });
    account.events.addRule({
      name: "to-flaky",
      pattern: { source: ["test.app"] },
      targets: [{ Id: "flaky", Arn: account.lambda.functionArn("flaky") }],
    });
    const start = account.clock.now();

    await account.call("events", "PutEvents", {
      Entries: [{ Source: "test.app", DetailType: "T", Detail: "{}" }],
    });
    await account.activity.idle();
    const [delivery] = account.events.deliveries;

    expect(at).toEqual([start]);
    expect(delivery?.outcomes[0]?.error).toEqual({ errorType: "Error", errorMessage: "down" });
    while (account.clock.advance()) await account.activity.idle();
    expect(at.map((t) => t - start)).toEqual([0, 60_000, 180_000]);
    expect(delivery?.later.map((s) => [s.kind, s.afterMs])).toEqual([
      ["retry", 60_000],
      ["retry", 180_000],
      ["discarded", 180_000],
    ]);
    // No on-failure destination: the event is lost.
    expect(delivery?.later[2]).not.toHaveProperty("destination");
  });

  it("runs a function that failed once again exactly 60 s of virtual time later, and reports the retry's success", async () => {
    const account = new SimulatedAccount();
    const requestIds: string[] = [];
    account.lambda.registerHandler("once", async (_event, context) => {
      requestIds.push(context.awsRequestId);
      if (requestIds.length === 1) throw new TypeError("cold dependency");
      return { ok: true };
    });
    account.events.addRule({
      name: "to-once",
      pattern: { source: ["test.app"] },
      targets: [{ Id: "once", Arn: account.lambda.functionArn("once") }],
    });
    const heard: string[] = [];
    account.events.onLater((_d, step) => heard.push(`${step.kind} ${step.target} +${step.afterMs / 1000}s`));
    const start = account.clock.now();

    const delivery = await account.events.deliver(busEvent({ source: "test.app" }));
    await account.activity.idle();
    account.clock.tick(59_999);
    await account.activity.idle();
    expect(requestIds).toHaveLength(1);
    account.clock.tick(1);
    await account.activity.idle();

    expect(delivery.outcomes[0]?.error?.errorType).toBe("TypeError");
    expect(delivery.later).toEqual([
      expect.objectContaining({ kind: "retry", attempt: 2, afterMs: 60_000, result: { ok: true } }),
    ]);
    expect(account.clock.now() - start).toBe(60_000);
    expect(heard).toEqual(["retry once +60s"]);
    // Lambda keeps the invocation's request id through its retries.
    expect(new Set(requestIds).size).toBe(1);
    expect(account.clock.pending()).toHaveLength(0);
  });

  it("sends the documented invocation record to the on-failure destination at +180 s, not before, once three attempts failed", async () => {
    const account = new SimulatedAccount();
    account.lambda.registerHandler("broken", async () => {
      throw new RangeError("always");
    });
    account.sqs.createQueue("failed");
    const queueArn = account.arn("sqs", "failed");
    await account.call("lambda", "PutFunctionEventInvokeConfig", {
      FunctionName: "broken",
      MaximumRetryAttempts: 2,
      DestinationConfig: { OnFailure: { Destination: queueArn } },
    });
    account.events.addRule({
      name: "to-broken",
      pattern: { source: ["test.app"] },
      targets: [{ Id: "broken", Arn: account.lambda.functionArn("broken") }],
    });
    const start = account.clock.now();
    const event = busEvent({ source: "test.app", detail: { order: 7 } });

    const delivery = await account.events.deliver(event);
    account.clock.advance();
    await account.activity.idle();
    expect(account.clock.now() - start).toBe(60_000);
    expect(account.sqs.messages("failed")).toHaveLength(0);
    account.clock.advance();
    await account.activity.idle();
    expect(account.clock.now() - start).toBe(180_000);

    const [message] = account.sqs.messages("failed");
    expect(JSON.parse(String(message?.Body))).toEqual({
      version: "1.0",
      timestamp: new Date(start + 180_000).toISOString(),
      requestContext: {
        requestId: expect.any(String),
        functionArn: `${account.lambda.functionArn("broken")}:$LATEST`,
        condition: "RetriesExhausted",
        approximateInvokeCount: 3,
      },
      requestPayload: event,
      responseContext: { statusCode: 200, executedVersion: "$LATEST", functionError: "Unhandled" },
      responsePayload: { errorType: "RangeError", errorMessage: "always", trace: [] },
    });
    expect(delivery.later.at(-1)).toMatchObject({
      kind: "discarded",
      condition: "RetriesExhausted",
      attempts: 3,
      afterMs: 180_000,
      destination: queueArn,
    });
    // Lambda sends the record itself, as the function's execution role.
    expect(account.callsOf({ service: "sqs", action: "SendMessage" })).toMatchObject([
      { principal: "broken" },
    ]);
  });

  it("sends the record to a function or an event bus destination, and only with the execution role's permission", async () => {
    const account = new SimulatedAccount();
    account.lambda.registerHandler("broken", async () => {
      throw new Error("no");
    });
    const caught: unknown[] = [];
    account.lambda.registerHandler("catcher", async (record) => {
      caught.push(record);
      return null;
    });
    account.sqs.createQueue("results");
    account.events.addRule({
      name: "failures",
      pattern: { source: ["lambda"], "detail-type": ["Lambda Function Invocation Result - Failure"] },
      targets: [{ Id: "results", Arn: account.arn("sqs", "results") }],
    });
    const steps: { destination?: string; destinationError?: string }[] = [];
    const failTo = async (Destination: string) => {
      await account.call("lambda", "PutFunctionEventInvokeConfig", {
        FunctionName: "broken",
        MaximumRetryAttempts: 0,
        DestinationConfig: { OnFailure: { Destination } },
      });
      await account.lambda.invokeAsync("broken", { n: 1 }, { principal: "operator" }, (s) =>
        steps.push(s as never),
      );
      await account.activity.idle();
    };

    await failTo(account.lambda.functionArn("catcher"));
    await failTo(account.arn("events", "event-bus/default"));
    account.enforce(
      new Map([["broken", { roleName: "broken-role", sessionName: "broken", statements: [] }]]),
    );
    await failTo(account.arn("sqs", "results"));

    expect(caught).toMatchObject([
      { requestContext: { condition: "RetriesExhausted" }, requestPayload: { n: 1 } },
    ]);
    const [event] = account.sqs.messages("results");
    expect(JSON.parse(String(event?.Body))).toMatchObject({
      source: "lambda",
      resources: [account.lambda.functionArn("broken"), account.arn("events", "event-bus/default")],
      detail: { requestContext: { approximateInvokeCount: 1 }, requestPayload: { n: 1 } },
    });
    expect(account.sqs.messages("results")).toHaveLength(1);
    expect(steps.at(-1)?.destinationError).toMatch(/^AccessDeniedException: .*sqs:SendMessage/);
  });

  it("retries as often as MaximumRetryAttempts says, and discards an event older than MaximumEventAgeInSeconds", async () => {
    const account = new SimulatedAccount();
    let attempts = 0;
    account.lambda.registerHandler("broken", async () => {
      attempts++;
      throw new Error("no");
    });
    account.sqs.createQueue("failed");
    const put = (input: Record<string, unknown>) =>
      account.call("lambda", "PutFunctionEventInvokeConfig", { FunctionName: "broken", ...input });
    const invoke = async () => {
      const out = account.lambda.invokeAsync("broken", {}, { principal: "operator" }, (s) => steps.push(s));
      await out;
      while (account.clock.advance()) await account.activity.idle();
    };
    const steps: { kind: string; condition?: string; attempts?: number; afterMs: number }[] = [];

    await put({ MaximumRetryAttempts: 0 });
    await invoke();
    expect(attempts).toBe(1);
    expect(steps).toMatchObject([
      { kind: "discarded", condition: "RetriesExhausted", attempts: 1, afterMs: 0 },
    ]);

    steps.length = 0;
    attempts = 0;
    await put({ MaximumEventAgeInSeconds: 120 });
    await invoke();
    expect(attempts).toBe(2);
    expect(steps.at(-1)).toMatchObject({ kind: "discarded", condition: "EventAgeExceeded", attempts: 2 });

    await expect(put({ MaximumRetryAttempts: 3 })).rejects.toMatchObject({
      name: "InvalidParameterValueException",
    });
    await expect(put({ MaximumEventAgeInSeconds: 59 })).rejects.toMatchObject({
      name: "InvalidParameterValueException",
    });
    await expect(
      put({ DestinationConfig: { OnFailure: { Destination: "arn:aws:s3:::bucket" } } }),
    ).rejects.toMatchObject({
      name: "InvalidParameterValueException",
    });
    // Put replaces the settings; Update keeps the ones it does not name.
    await account.call("lambda", "UpdateFunctionEventInvokeConfig", {
      FunctionName: "broken",
      DestinationConfig: { OnFailure: { Destination: account.arn("sqs", "failed") } },
    });
    expect(
      await account.call("lambda", "GetFunctionEventInvokeConfig", { FunctionName: "broken" }),
    ).toMatchObject({
      FunctionArn: `${account.lambda.functionArn("broken")}:$LATEST`,
      MaximumEventAgeInSeconds: 120,
      DestinationConfig: { OnFailure: { Destination: account.arn("sqs", "failed") } },
    });
    await account.call("lambda", "DeleteFunctionEventInvokeConfig", { FunctionName: "broken" });
    await expect(
      account.call("lambda", "GetFunctionEventInvokeConfig", { FunctionName: "broken" }),
    ).rejects.toMatchObject({ name: "ResourceNotFoundException" });
  });

  it("matches by the rule's listed sources and detail-types as the full matcher does, whatever the event's shape", async () => {
    const account = new SimulatedAccount();
    account.events.addRule({
      name: "exact",
      pattern: { source: ["test.app"], "detail-type": ["Thing", "Other"] },
      targets: [],
    });
    account.events.addRule({ name: "prefixed", pattern: { source: [{ prefix: "test." }] }, targets: [] });
    account.events.addRule({
      name: "either",
      pattern: { $or: [{ source: ["x"] }, { "detail-type": ["Thing"] }] },
      targets: [],
    });
    const rules = async (fields: Record<string, unknown>) =>
      (await account.events.deliver(busEvent(fields))).rules.sort();

    expect(await rules({ source: "test.app", "detail-type": "Thing" })).toEqual([
      "either",
      "exact",
      "prefixed",
    ]);
    expect(await rules({ source: "test.other", "detail-type": "Thing" })).toEqual(["either", "prefixed"]);
    expect(await rules({ source: "test.app", "detail-type": "None" })).toEqual(["prefixed"]);
    // Not a string: left to the full matcher, which reads an array's elements as the field's values.
    expect(await rules({ source: ["test.app"], "detail-type": "Other" })).toEqual(["exact", "prefixed"]);
  });

  it("still refuses to match with an invalid pattern, even an event the pattern's sources exclude", async () => {
    const account = new SimulatedAccount();
    account.events.addRule({
      name: "bad",
      pattern: { source: ["test.app"], detail: { n: [{ numeric: [">"] }] } } as never,
      targets: [],
    });

    await expect(account.events.deliver(busEvent({ source: "other", "detail-type": "T" }))).rejects.toThrow(
      /invalid event pattern/,
    );
  });
});
