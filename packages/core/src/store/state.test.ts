import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { BatchGetCommand, DynamoDBDocumentClient, GetCommand } from "@aws-sdk/lib-dynamodb";
import { mockClient } from "aws-sdk-client-mock";
import { beforeEach, describe, expect, it } from "vitest";
import { readControlAndDeployments, type StateStore } from "./state.ts";

const TABLE = "switchyard-state";
const db = DynamoDBDocumentClient.from(new DynamoDBClient({ region: "us-east-1" }));
const store: StateStore = { db, table: TABLE, now: () => new Date("2026-11-30T00:00:00Z") };
const ddb = mockClient(DynamoDBDocumentClient);

const control = { pk: "control", sk: "automation" };
const key = (name: string) => ({ pk: `deployment#${name}`, sk: "current" });
const record = (name: string, generation?: number) => ({
  ...key(name),
  deployment: name,
  status: "shifting",
  ...(generation === undefined ? {} : { generation }),
});
const unpaused = { safety: { paused: false } };

describe("readControlAndDeployments", () => {
  beforeEach(() => ddb.reset());

  it("reads the kill switch and every record in one consistent BatchGetItem", async () => {
    ddb.on(BatchGetCommand).resolves({
      Responses: { [TABLE]: [record("web", 3), { ...control, paused: true, reason: "incident", by: "ops" }] },
    });

    const out = await readControlAndDeployments({ store, config: unpaused }, ["api", "web"]);

    expect(ddb.commandCalls(GetCommand)).toHaveLength(0);
    const calls = ddb.commandCalls(BatchGetCommand);
    expect(calls).toHaveLength(1);
    expect(calls[0]?.args[0].input).toEqual({
      RequestItems: { [TABLE]: { Keys: [control, key("api"), key("web")], ConsistentRead: true } },
    });
    expect(out.control).toEqual({ paused: true, reason: "incident", by: "ops" });
    // In the caller's order, whatever order DynamoDB answered in; an absent record is undefined.
    expect(out.records).toEqual([undefined, { deployment: "web", status: "shifting", generation: 3 }]);
  });

  it("reads a record written before fencing as generation 0, and no kill switch as running", async () => {
    ddb.on(BatchGetCommand).resolves({ Responses: { [TABLE]: [record("api")] } });

    const out = await readControlAndDeployments({ store, config: unpaused }, ["api"]);

    expect(out.control).toEqual({ paused: false });
    expect(out.records).toEqual([{ deployment: "api", status: "shifting", generation: 0 }]);
  });

  it("asks again for the keys DynamoDB left unprocessed", async () => {
    ddb
      .on(BatchGetCommand)
      .resolvesOnce({
        Responses: { [TABLE]: [record("api", 1)] },
        UnprocessedKeys: { [TABLE]: { Keys: [control, key("web")], ConsistentRead: true } },
      })
      .resolvesOnce({ Responses: { [TABLE]: [{ ...control, paused: false }, record("web", 2)] } });

    const out = await readControlAndDeployments({ store, config: unpaused }, ["api", "web"]);

    const calls = ddb.commandCalls(BatchGetCommand);
    expect(calls).toHaveLength(2);
    expect(calls[1]?.args[0].input.RequestItems?.[TABLE]?.Keys).toEqual([control, key("web")]);
    expect(out.records.map((r) => r?.generation)).toEqual([1, 2]);
  });

  it("fails, naming the read, when keys stay unprocessed round after round", async () => {
    ddb
      .on(BatchGetCommand)
      .resolves({ UnprocessedKeys: { [TABLE]: { Keys: [control], ConsistentRead: true } } });

    await expect(readControlAndDeployments({ store, config: unpaused }, [])).rejects.toThrow(
      /read kill switch and deployment records: 1 keys still unprocessed/,
    );
  });

  it("does not read the kill switch when the config pauses automation, and says so", async () => {
    ddb.on(BatchGetCommand).resolves({ Responses: { [TABLE]: [record("api", 4)] } });

    const out = await readControlAndDeployments({ store, config: { safety: { paused: true } } }, ["api"]);

    expect(ddb.commandCalls(BatchGetCommand)[0]?.args[0].input.RequestItems?.[TABLE]?.Keys).toEqual([
      key("api"),
    ]);
    expect(out.control).toMatchObject({ paused: true, by: "config" });
    expect(out.records[0]?.generation).toBe(4);
  });

  it("asks for a deployment guarded twice once: BatchGetItem refuses duplicate keys", async () => {
    ddb.on(BatchGetCommand).resolves({ Responses: { [TABLE]: [record("api", 1)] } });

    const out = await readControlAndDeployments({ store, config: unpaused }, ["api", "api"]);

    expect(ddb.commandCalls(BatchGetCommand)[0]?.args[0].input.RequestItems?.[TABLE]?.Keys).toEqual([
      control,
      key("api"),
    ]);
    expect(out.records.map((r) => r?.generation)).toEqual([1, 1]);
  });
});
