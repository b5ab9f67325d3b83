import {
  type AttributeValue,
  BatchGetItemCommand,
  BatchWriteItemCommand,
  ConditionalCheckFailedException,
  DeleteItemCommand,
  DescribeTableCommand,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  ResourceNotFoundException,
  ScanCommand,
  UpdateItemCommand,
  type UpdateItemCommandInput,
} from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient, GetCommand, PutCommand } from "@aws-sdk/lib-dynamodb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type LocalDynamo, localCredentials, startLocalDynamo } from "./dynalite.ts";

let dynamo: LocalDynamo;
let inProcess: DynamoDBClient;
let overHttp: DynamoDBClient;

beforeAll(async () => {
  dynamo = await startLocalDynamo("dynalite-test");
  const options = { endpoint: dynamo.endpoint, region: "us-east-1", credentials: localCredentials };
  // As the local control plane wires its clients: in process, without the transport middleware.
  inProcess = new DynamoDBClient(options);
  dynamo.plugIn(inProcess);
  overHttp = new DynamoDBClient(options);
});

afterAll(async () => {
  inProcess.destroy();
  overHttp.destroy();
  await dynamo.close();
});

const key = (sk: string) => ({ pk: { S: "deployment#api" }, sk: { S: sk } });

/** The store's fenced transition: nested parentheses, names and values, an IN list. */
const fenced = (sk: string, values: { me: string; gen: string; next: string; status: string }) =>
  ({
    TableName: dynamo.tableName,
    Key: key(sk),
    UpdateExpression: "SET #status = :status, generation = :next",
    ConditionExpression:
      "executionArn = :me AND (generation = :gen OR (attribute_not_exists(generation) AND :gen = :zero)) AND #status IN (:shifting, :waiting)",
    ExpressionAttributeNames: { "#status": "status" },
    ExpressionAttributeValues: {
      ":me": { S: values.me },
      ":gen": { N: values.gen },
      ":zero": { N: "0" },
      ":next": { N: values.next },
      ":status": { S: values.status },
      ":shifting": { S: "shifting" },
      ":waiting": { S: "waiting" },
    },
  }) satisfies UpdateItemCommandInput;

/** What a client's send ends with: the output, or the error's name and message. */
async function outcome(client: DynamoDBClient, input: UpdateItemCommandInput): Promise<string> {
  try {
    await client.send(new UpdateItemCommand(input));
    return "ok";
  } catch (error) {
    return `${(error as Error).name}: ${(error as Error).message}`;
  }
}

async function seed(sk: string, status: string): Promise<void> {
  await inProcess.send(
    new PutItemCommand({
      TableName: dynamo.tableName,
      Item: { ...key(sk), executionArn: { S: "arn:exec:1" }, generation: { N: "1" }, status: { S: status } },
    }),
  );
}

describe("the local DynamoDB", () => {
  it("applies a repeated expression with each request's own values", async () => {
    await seed("repeat", "shifting");

    await inProcess.send(
      new UpdateItemCommand(fenced("repeat", { me: "arn:exec:1", gen: "1", next: "2", status: "waiting" })),
    );
    await inProcess.send(
      new UpdateItemCommand(fenced("repeat", { me: "arn:exec:1", gen: "2", next: "3", status: "shifting" })),
    );
    const stale = await outcome(
      inProcess,
      fenced("repeat", { me: "arn:exec:1", gen: "2", next: "4", status: "waiting" }),
    );

    const item = (
      await inProcess.send(new GetItemCommand({ TableName: dynamo.tableName, Key: key("repeat") }))
    ).Item;
    expect(item?.generation).toEqual({ N: "3" });
    expect(item?.status).toEqual({ S: "shifting" });
    expect(stale).toBe("ConditionalCheckFailedException: The conditional request failed");
  });

  it("rejects a value the repeated expression does not use, the second time as the first", async () => {
    await seed("unused", "shifting");
    const valid = fenced("unused", { me: "arn:exec:1", gen: "1", next: "2", status: "waiting" });
    const withUnused = {
      ...valid,
      ExpressionAttributeValues: { ...valid.ExpressionAttributeValues, ":spare": { S: "x" } },
    };

    const first = await outcome(inProcess, withUnused);
    await inProcess.send(new UpdateItemCommand(valid));
    const again = await outcome(inProcess, withUnused);

    const expected =
      "ValidationException: Value provided in ExpressionAttributeValues unused in expressions: keys: {:spare}";
    expect(first).toBe(expected);
    expect(again).toBe(expected);
  });

  it("checks operand types on every request, not only the first with an expression", async () => {
    await seed("types", "shifting");
    const add = (one: AttributeValue) => ({
      TableName: dynamo.tableName,
      Key: key("types"),
      UpdateExpression: "SET generation = generation + :one",
      ExpressionAttributeValues: { ":one": one },
    });

    const number = await outcome(inProcess, add({ N: "1" }));
    const text = await outcome(inProcess, add({ S: "1" }));

    expect(number).toBe("ok");
    expect(text).toMatch(/^ValidationException: Invalid UpdateExpression: Incorrect operand type/);
  });

  it("compares BETWEEN's bounds on every request", async () => {
    await seed("between", "shifting");
    const between = (low: string, high: string) => ({
      TableName: dynamo.tableName,
      Key: key("between"),
      UpdateExpression: "SET #status = :status",
      ConditionExpression: "generation BETWEEN :low AND :high",
      ExpressionAttributeNames: { "#status": "status" },
      ExpressionAttributeValues: { ":low": { N: low }, ":high": { N: high }, ":status": { S: "waiting" } },
    });

    const ordered = await outcome(inProcess, between("0", "5"));
    const reversed = await outcome(inProcess, between("5", "0"));

    expect(ordered).toBe("ok");
    expect(reversed).toMatch(
      /^ValidationException: Invalid ConditionExpression: The BETWEEN operator requires upper bound/,
    );
  });

  it("answers in process exactly as over loopback HTTP, errors included", async () => {
    await seed("same-a", "shifting");
    await seed("same-b", "shifting");
    const requests = (sk: string): UpdateItemCommandInput[] => [
      fenced(sk, { me: "arn:exec:1", gen: "1", next: "2", status: "waiting" }),
      fenced(sk, { me: "arn:exec:1", gen: "1", next: "3", status: "waiting" }),
      {
        ...fenced(sk, { me: "x", gen: "2", next: "3", status: "waiting" }),
        ConditionExpression: "executionArn = :me AND (",
      },
      {
        ...fenced(sk, { me: "x", gen: "2", next: "3", status: "waiting" }),
        ExpressionAttributeNames: { "#other": "status" },
      },
      { ...fenced(sk, { me: "x", gen: "2", next: "3", status: "waiting" }), TableName: "no-such-table" },
    ];

    const viaHandler = [];
    for (const input of requests("same-a")) viaHandler.push(await outcome(inProcess, input));
    const viaHttp = [];
    for (const input of requests("same-b")) viaHttp.push(await outcome(overHttp, input));

    expect(viaHandler).toEqual(viaHttp);
    expect(viaHandler[0]).toBe("ok");
    expect(viaHandler.slice(1).every((o) => o !== "ok")).toBe(true);
  });

  it("serves one store to both paths, and throws the SDK's modelled exception classes in process", async () => {
    await seed("shared", "shifting");
    const overLoopback = await overHttp.send(
      new GetItemCommand({ TableName: dynamo.tableName, Key: key("shared"), ConsistentRead: true }),
    );
    expect(overLoopback.Item?.status).toEqual({ S: "shifting" });

    const stale = fenced("shared", { me: "arn:exec:2", gen: "1", next: "2", status: "waiting" });
    const error = await inProcess.send(new UpdateItemCommand(stale)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConditionalCheckFailedException);
    expect((error as ConditionalCheckFailedException).$metadata.httpStatusCode).toBe(400);
  });

  it("answers every item operation in process as over loopback HTTP, outputs and binary values included", async () => {
    const binary = new Uint8Array([0, 1, 2, 250, 255]);
    /** One of each operation answered without the wire format, against a partition of its own. */
    const script = (pk: string) => {
      const k = (sk: string) => ({ pk: { S: pk }, sk: { S: sk } });
      const TableName = dynamo.tableName;
      return [
        new PutItemCommand({
          TableName,
          Item: { ...k("a"), bin: { B: binary }, set: { BS: [binary] }, n: { N: "1" } },
        }),
        new UpdateItemCommand({
          TableName,
          Key: k("a"),
          UpdateExpression: "SET n = n + :one",
          ExpressionAttributeValues: { ":one": { N: "1" } },
          ReturnValues: "ALL_NEW",
        }),
        new GetItemCommand({ TableName, Key: k("a"), ConsistentRead: true }),
        new BatchWriteItemCommand({
          RequestItems: { [TableName]: [{ PutRequest: { Item: { ...k("b"), n: { N: "2" } } } }] },
        }),
        new BatchGetItemCommand({
          RequestItems: { [TableName]: { Keys: [k("a"), k("b")], ConsistentRead: true } },
        }),
        new QueryCommand({
          TableName,
          KeyConditionExpression: "pk = :pk",
          ExpressionAttributeValues: { ":pk": { S: pk } },
          ConsistentRead: true,
        }),
        new ScanCommand({
          TableName,
          FilterExpression: "pk = :pk",
          ExpressionAttributeValues: { ":pk": { S: pk } },
        }),
        new DeleteItemCommand({ TableName, Key: k("b"), ReturnValues: "ALL_OLD" }),
        new GetItemCommand({ TableName: "no-such-table", Key: k("a") }),
      ];
    };
    const run = async (client: DynamoDBClient, pk: string) => {
      const answers: unknown[] = [];
      for (const command of script(pk)) {
        const answer = await client.send(command as never).catch((error: Error) => ({ error: error.name }));
        // The partition and the request id differ by design, and so do what a Scan passes over (the
        // other run's items too) and the order of BatchGetItem's answers, which DynamoDB leaves open.
        const { $metadata: _id, ScannedCount: _scanned, ...rest } = answer as Record<string, unknown>;
        const same = JSON.parse(JSON.stringify(rest).replaceAll(pk, "PK")) as {
          Responses?: Record<string, { sk: { S: string } }[]>;
        };
        for (const items of Object.values(same.Responses ?? {}))
          items.sort((a, b) => a.sk.S.localeCompare(b.sk.S));
        answers.push(same);
      }
      return answers;
    };

    const viaDirect = await run(inProcess, "direct");
    const viaHttp = await run(overHttp, "http");

    expect(viaDirect).toEqual(viaHttp);
    const item = (
      await inProcess.send(
        new GetItemCommand({ TableName: dynamo.tableName, Key: { pk: { S: "direct" }, sk: { S: "a" } } }),
      )
    ).Item;
    expect(item?.bin?.B).toEqual(binary);
    expect(item?.set?.BS?.[0]).toBeInstanceOf(Uint8Array);
    expect(viaDirect.at(-1)).toEqual({ error: "ResourceNotFoundException" });
  });

  it("marshals and unmarshals through lib-dynamodb's document client, and leaves other operations to the SDK's serde", async () => {
    const doc = DynamoDBDocumentClient.from(inProcess);
    await doc.send(
      new PutCommand({ TableName: dynamo.tableName, Item: { pk: "doc", sk: "a", n: 7, tags: ["x"] } }),
    );

    const read = await doc.send(new GetCommand({ TableName: dynamo.tableName, Key: { pk: "doc", sk: "a" } }));
    const table = await inProcess.send(new DescribeTableCommand({ TableName: dynamo.tableName }));
    const missing = await inProcess
      .send(new DescribeTableCommand({ TableName: "no-such-table" }))
      .catch((error: unknown) => error);

    expect(read.Item).toEqual({ pk: "doc", sk: "a", n: 7, tags: ["x"] });
    expect(read.$metadata.httpStatusCode).toBe(200);
    // DescribeTable is not an item operation: the SDK's deserializer made its timestamp a Date.
    expect(table.Table?.CreationDateTime).toBeInstanceOf(Date);
    expect(missing).toBeInstanceOf(ResourceNotFoundException);
  });
});
