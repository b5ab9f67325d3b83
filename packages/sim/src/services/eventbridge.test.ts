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

  it("invokes a Lambda target asynchronously and retries a failed invocation twice", async () => {
    const account = new SimulatedAccount();
    let attempts = 0;
    account.lambda.registerHandler("flaky", async () => {
      attempts++;
      throw new Error("down");
    });
    account.events.addRule({
      name: "to-flaky",
      pattern: { source: ["test.app"] },
      targets: [{ Id: "flaky", Arn: account.lambda.functionArn("flaky") }],
    });

    await account.call("events", "PutEvents", {
      Entries: [{ Source: "test.app", DetailType: "T", Detail: "{}" }],
    });
    await account.activity.idle();

    expect(attempts).toBe(3);
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
