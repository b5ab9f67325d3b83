/**
 * DynamoDB's item operations that Switchyard's code sends: the simulated account authorizes and
 * records them (account.ts), and the local dynalite answers them from the command's input
 * (dynalite.ts, `plugIn`).
 */
export const DYNAMODB_ITEM_OPERATIONS = [
  "GetItem",
  "PutItem",
  "UpdateItem",
  "DeleteItem",
  "Query",
  "Scan",
  "BatchGetItem",
  "BatchWriteItem",
] as const;
