import { GetCommand, PutCommand, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import { awsStep } from "../errors.ts";
import { readItem, type StateStore } from "../store/state.ts";
import { stateTable } from "../store/table.ts";

/** One record per runbook: the pending approval, the last run and its report. */
export interface FailoverRecord {
  readonly runbook: string;
  readonly executionArn?: string;
  readonly approval?: { token: string; executionArn: string; requestedAt: string };
  readonly lastCompletedAt?: string;
  readonly report?: unknown;
  readonly markdown?: string;
}

const key = (runbook: string) => ({
  [stateTable.partitionKey]: `failover#${runbook}`,
  [stateTable.sortKey]: "state",
});
const signalKey = (region: string) => ({
  [stateTable.partitionKey]: "failover-signal#health",
  [stateTable.sortKey]: region,
});

export function readFailover(store: StateStore, runbook: string): Promise<FailoverRecord | undefined> {
  return readItem<FailoverRecord>(store, "read failover record", key(runbook));
}

/** Merges fields into the runbook's record (created on first write). */
export async function updateFailover(
  store: StateStore,
  runbook: string,
  fields: Record<string, unknown>,
  remove: string[] = [],
): Promise<void> {
  const names: Record<string, string> = { "#runbook": "runbook" };
  const values: Record<string, unknown> = { ":runbook": runbook };
  const sets = ["#runbook = :runbook"];
  Object.entries(fields).forEach(([name, value], i) => {
    names[`#f${i}`] = name;
    values[`:f${i}`] = value;
    sets.push(`#f${i} = :f${i}`);
  });
  const removes = remove.map((name, i) => {
    names[`#r${i}`] = name;
    return `#r${i}`;
  });
  await awsStep("write failover record", () =>
    store.db.send(
      new UpdateCommand({
        TableName: store.table,
        Key: key(runbook),
        UpdateExpression: `SET ${sets.join(", ")}${removes.length ? ` REMOVE ${removes.join(", ")}` : ""}`,
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: values,
      }),
    ),
  );
}

/**
 * Drops the runbook's pending approval if it is still the one with `token` (a newer run's
 * approval is left alone). True when this call removed it.
 */
export async function clearApproval(store: StateStore, runbook: string, token: string): Promise<boolean> {
  try {
    await store.db.send(
      new UpdateCommand({
        TableName: store.table,
        Key: key(runbook),
        UpdateExpression: "REMOVE #approval",
        ConditionExpression: "#approval.#token = :token",
        ExpressionAttributeNames: { "#approval": "approval", "#token": "token" },
        ExpressionAttributeValues: { ":token": token },
      }),
    );
    return true;
  } catch (error) {
    if ((error as Error).name === "ConditionalCheckFailedException") return false;
    return awsStep("clear failover approval", () => Promise.reject(error));
  }
}

/** An AWS Health issue open in a region: one of the two signals auto-approval needs. */
export interface HealthSignal {
  readonly region: string;
  readonly service: string;
  readonly eventTypeCode: string;
  readonly eventArn: string;
  readonly status: string;
  readonly at: string;
}

export async function putHealthSignal(store: StateStore, signal: HealthSignal): Promise<void> {
  await awsStep("record health signal", () =>
    store.db.send(
      new PutCommand({
        TableName: store.table,
        Item: {
          ...signalKey(signal.region),
          ...signal,
          // A signal that nobody closes stops counting after a day.
          [stateTable.ttlAttribute]: Math.floor(store.now().getTime() / 1000) + 86_400,
        },
      }),
    ),
  );
}

export async function readHealthSignal(store: StateStore, region: string): Promise<HealthSignal | undefined> {
  const out = await awsStep("read health signal", () =>
    store.db.send(new GetCommand({ TableName: store.table, Key: signalKey(region), ConsistentRead: true })),
  );
  const item = out.Item as (HealthSignal & { expiresAt?: number }) | undefined;
  if (!item || item.status === "closed") return undefined;
  if (item.expiresAt !== undefined && item.expiresAt * 1000 < store.now().getTime()) return undefined;
  return item;
}
