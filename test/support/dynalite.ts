import type { Server } from "node:http";
import { createRequire } from "node:module";
import type { AddressInfo } from "node:net";
import { CreateTableCommand, DynamoDBClient, waitUntilTableExists } from "@aws-sdk/client-dynamodb";
import { stateTable } from "../../packages/core/src/store/table.ts";

// dynalite is CommonJS and ships no type declarations: load it through require with the one
// signature these tests use, rather than adding a global module declaration.
const require = createRequire(import.meta.url);
const dynalite = require("dynalite") as (options: { createTableMs?: number }) => Server;

/** Credentials dynalite accepts (it checks that a signature is present, not that it is valid). */
export const localCredentials = { accessKeyId: "local", secretAccessKey: "local" } as const;

export interface LocalDynamo {
  /** http://127.0.0.1:<port>, for `createClients({ dynamodbEndpoint })`. */
  readonly endpoint: string;
  close(): Promise<void>;
}

/**
 * Starts an in-memory dynalite on a free loopback port with the state table created exactly as
 * `stacks/` creates it (string `pk`/`sk`), so Powertools' DynamoDB persistence layer runs unchanged.
 */
export async function startLocalDynamo(tableName: string = stateTable.localName): Promise<LocalDynamo> {
  const server = dynalite({ createTableMs: 0 });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const endpoint = `http://127.0.0.1:${port}`;

  const admin = new DynamoDBClient({ endpoint, region: "us-east-1", credentials: localCredentials });
  await admin.send(
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
  await waitUntilTableExists(
    { client: admin, maxWaitTime: 30, minDelay: 1, maxDelay: 1 },
    { TableName: tableName },
  );
  admin.destroy();

  return {
    endpoint,
    close: () =>
      new Promise<void>((resolve, reject) => server.close((err) => (err ? reject(err) : resolve()))),
  };
}
