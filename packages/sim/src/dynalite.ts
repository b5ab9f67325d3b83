import type { AddressInfo } from "node:net";
import { CreateTableCommand, DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { stateTable } from "@switchyard/core/store/table";
import dynalite from "dynalite";

export interface LocalDynamo {
  readonly endpoint: string;
  readonly tableName: string;
  close(): Promise<void>;
}

/** Credentials for loopback endpoints only: dynalite checks that requests are signed, not by whom. */
export const localCredentials = { accessKeyId: "local", secretAccessKey: "local" };

/**
 * Starts dynalite (a real implementation of the DynamoDB API, conditional writes included)
 * on a free loopback port and creates Switchyard's state table in it.
 */
export async function startLocalDynamo(tableName: string = stateTable.localName): Promise<LocalDynamo> {
  const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const endpoint = `http://127.0.0.1:${port}`;
  const client = new DynamoDBClient({ endpoint, region: "us-east-1", credentials: localCredentials });
  await client.send(
    new CreateTableCommand({
      TableName: tableName,
      AttributeDefinitions: [
        { AttributeName: stateTable.partitionKey, AttributeType: "S" },
        { AttributeName: stateTable.sortKey, AttributeType: "S" },
      ],
      KeySchema: [
        { AttributeName: stateTable.partitionKey, KeyType: "HASH" },
        { AttributeName: stateTable.sortKey, KeyType: "RANGE" },
      ],
      BillingMode: "PAY_PER_REQUEST",
    }),
  );
  client.destroy();
  return {
    endpoint,
    tableName,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
