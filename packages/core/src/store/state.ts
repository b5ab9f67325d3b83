import { randomUUID } from "node:crypto";
import {
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
} from "@aws-sdk/lib-dynamodb";
import { awsStep } from "../errors.ts";
import { expiresAfterDays, stateTable } from "./table.ts";

/** Where Switchyard keeps its state: the document client and the table's name. */
export interface StateStore {
  readonly db: DynamoDBDocumentClient;
  readonly table: string;
  /** Current time; injected so the simulated account's virtual clock drives records too. */
  readonly now: () => Date;
}

/** One audit record: every decision, including the decision to do nothing. */
export interface AuditRecord {
  readonly at: string;
  readonly reaction: string;
  /** What was decided: e.g. "started", "rolled-back", "no-action", "blocked", "stale". */
  readonly decision: string;
  readonly reason: string;
  readonly subject?: string;
  readonly correlationId?: string;
  readonly eventId?: string;
  readonly executionArn?: string;
  readonly details?: Record<string, unknown>;
}

const AUDIT_PK = "audit";
const AUDIT_DAYS = 90;

export async function recordAudit(store: StateStore, record: Omit<AuditRecord, "at">): Promise<AuditRecord> {
  const at = store.now().toISOString();
  const full: AuditRecord = { at, ...record };
  await awsStep("write audit record", () =>
    store.db.send(
      new PutCommand({
        TableName: store.table,
        Item: {
          [stateTable.partitionKey]: AUDIT_PK,
          [stateTable.sortKey]: `${at}#${randomUUID()}`,
          [stateTable.ttlAttribute]: expiresAfterDays(store.now(), AUDIT_DAYS),
          ...full,
        },
      }),
    ),
  );
  return full;
}

/** Audit records, oldest first. */
export async function listAudit(
  store: StateStore,
  options: { since?: string; limit?: number } = {},
): Promise<AuditRecord[]> {
  const out: AuditRecord[] = [];
  let startKey: Record<string, unknown> | undefined;
  do {
    const page = await store.db.send(
      new QueryCommand({
        TableName: store.table,
        KeyConditionExpression: "#pk = :pk AND #sk >= :since",
        ExpressionAttributeNames: { "#pk": stateTable.partitionKey, "#sk": stateTable.sortKey },
        ExpressionAttributeValues: { ":pk": AUDIT_PK, ":since": options.since ?? "" },
        ...(startKey ? { ExclusiveStartKey: startKey } : {}),
      }),
    );
    for (const item of page.Items ?? []) {
      const { pk: _pk, sk: _sk, expiresAt: _exp, ...record } = item;
      out.push(record as AuditRecord);
    }
    startKey = page.LastEvaluatedKey;
  } while (startKey && (options.limit === undefined || out.length < options.limit));
  return options.limit === undefined ? out : out.slice(-options.limit);
}

// ---- kill switch ---------------------------------------------------------------------------

const CONTROL_KEY = { [stateTable.partitionKey]: "control", [stateTable.sortKey]: "automation" };

export interface AutomationControl {
  paused: boolean;
  reason?: string;
  by?: string;
  at?: string;
}

/** The global kill switch. Absent record = automation runs. */
export async function readControl(store: StateStore): Promise<AutomationControl> {
  const out = await awsStep("read kill switch", () =>
    store.db.send(new GetCommand({ TableName: store.table, Key: CONTROL_KEY, ConsistentRead: true })),
  );
  const item = out.Item as AutomationControl | undefined;
  return {
    paused: item?.paused === true,
    ...(item?.reason ? { reason: item.reason } : {}),
    ...(item?.by ? { by: item.by } : {}),
    ...(item?.at ? { at: item.at } : {}),
  };
}

export async function writeControl(
  store: StateStore,
  control: { paused: boolean; reason: string; by: string },
): Promise<void> {
  await awsStep("write kill switch", () =>
    store.db.send(
      new PutCommand({
        TableName: store.table,
        Item: { ...CONTROL_KEY, ...control, at: store.now().toISOString() },
      }),
    ),
  );
}

// ---- deployment records --------------------------------------------------------------------

export type DeploymentStatus = "shifting" | "succeeded" | "rolled-back" | "failed";

/** The one in-flight (or last) deployment of a configured deployment: what rollback reads. */
export interface DeploymentRecord {
  readonly deployment: string;
  readonly executionArn: string;
  readonly functionName: string;
  readonly alias: string;
  readonly stableVersion: string;
  readonly newVersion: string;
  readonly imageUri: string;
  readonly status: DeploymentStatus;
  readonly startedAt: string;
  readonly updatedAt: string;
  readonly reason?: string;
}

const deploymentKey = (deployment: string) => ({
  [stateTable.partitionKey]: `deployment#${deployment}`,
  [stateTable.sortKey]: "current",
});

export async function readDeployment(
  store: StateStore,
  deployment: string,
): Promise<DeploymentRecord | undefined> {
  const out = await awsStep("read deployment record", () =>
    store.db.send(
      new GetCommand({ TableName: store.table, Key: deploymentKey(deployment), ConsistentRead: true }),
    ),
  );
  if (!out.Item) return undefined;
  const { pk: _pk, sk: _sk, ...record } = out.Item;
  return record as DeploymentRecord;
}

/**
 * Claims the deployment for `record.executionArn`: succeeds when no deployment is shifting,
 * or when this very execution holds it (a retry or a redrive). Returns false when another
 * execution is shifting the same alias.
 */
export async function claimDeployment(
  store: StateStore,
  record: Omit<DeploymentRecord, "updatedAt">,
): Promise<boolean> {
  try {
    await store.db.send(
      new PutCommand({
        TableName: store.table,
        Item: { ...deploymentKey(record.deployment), ...record, updatedAt: store.now().toISOString() },
        ConditionExpression: "attribute_not_exists(#pk) OR #status <> :shifting OR executionArn = :me",
        ExpressionAttributeNames: { "#pk": stateTable.partitionKey, "#status": "status" },
        ExpressionAttributeValues: { ":shifting": "shifting", ":me": record.executionArn },
      }),
    );
    return true;
  } catch (error) {
    if ((error as Error).name === "ConditionalCheckFailedException") return false;
    return awsStep("claim deployment", () => Promise.reject(error));
  }
}

/**
 * Moves a deployment out of "shifting", only if `executionArn` still owns it and it is shifting
 * (or already has this status): a late or replayed step never overwrites the record of a newer
 * deployment, nor turns a rolled-back deployment into a succeeded one. False when it does not.
 */
export async function settleDeployment(
  store: StateStore,
  deployment: string,
  executionArn: string,
  status: Exclude<DeploymentStatus, "shifting">,
  reason: string,
): Promise<boolean> {
  try {
    await store.db.send(
      new UpdateCommand({
        TableName: store.table,
        Key: deploymentKey(deployment),
        UpdateExpression: "SET #status = :status, reason = :reason, updatedAt = :now",
        // Settling again to the same status is allowed: a retried rollback must get through.
        // A rollback may also settle a deployment that its final step marked succeeded in the
        // meantime: the alias is back on the stable version, and the record must say so.
        ConditionExpression:
          status === "rolled-back"
            ? "executionArn = :me AND #status IN (:shifting, :status, :succeeded)"
            : "executionArn = :me AND (#status = :shifting OR #status = :status)",
        ExpressionAttributeNames: { "#status": "status" },
        ExpressionAttributeValues: {
          ":shifting": "shifting",
          ":status": status,
          ...(status === "rolled-back" ? { ":succeeded": "succeeded" } : {}),
          ":reason": reason,
          ":now": store.now().toISOString(),
          ":me": executionArn,
        },
      }),
    );
    return true;
  } catch (error) {
    if ((error as Error).name === "ConditionalCheckFailedException") return false;
    return awsStep("settle deployment", () => Promise.reject(error));
  }
}

// ---- scan results and the deployments waiting for them ----------------------------------------

const scanKey = (repository: string, digest: string) => ({
  [stateTable.partitionKey]: `scan#${repository}@${digest}`,
});

export interface StoredScan {
  readonly scanner: string;
  readonly status: string;
  readonly severityCounts: Record<string, number>;
  readonly at: string;
}

export async function putScanResult(
  store: StateStore,
  repository: string,
  digest: string,
  scan: StoredScan,
): Promise<void> {
  await awsStep("record scan result", () =>
    store.db.send(
      new PutCommand({
        TableName: store.table,
        Item: {
          ...scanKey(repository, digest),
          [stateTable.sortKey]: "result",
          ...scan,
          [stateTable.ttlAttribute]: expiresAfterDays(store.now(), 30),
        },
      }),
    ),
  );
}

export async function getScanResult(
  store: StateStore,
  repository: string,
  digest: string,
): Promise<StoredScan | undefined> {
  const out = await awsStep("read scan result", () =>
    store.db.send(
      new GetCommand({
        TableName: store.table,
        Key: { ...scanKey(repository, digest), [stateTable.sortKey]: "result" },
        ConsistentRead: true,
      }),
    ),
  );
  return out.Item as StoredScan | undefined;
}

/** Registers a deployment waiting (with a task token) for the scan of an image. */
export async function putScanWaiter(
  store: StateStore,
  repository: string,
  digest: string,
  executionArn: string,
  taskToken: string,
  threshold: string,
): Promise<void> {
  await awsStep("register scan waiter", () =>
    store.db.send(
      new PutCommand({
        TableName: store.table,
        Item: {
          ...scanKey(repository, digest),
          [stateTable.sortKey]: `waiter#${executionArn}`,
          executionArn,
          taskToken,
          threshold,
          [stateTable.ttlAttribute]: expiresAfterDays(store.now(), 2),
        },
      }),
    ),
  );
}

export async function listScanWaiters(
  store: StateStore,
  repository: string,
  digest: string,
): Promise<{ executionArn: string; taskToken: string; threshold: string }[]> {
  const out = await awsStep("list scan waiters", () =>
    store.db.send(
      new QueryCommand({
        TableName: store.table,
        KeyConditionExpression: "#pk = :pk AND begins_with(#sk, :waiter)",
        ExpressionAttributeNames: { "#pk": stateTable.partitionKey, "#sk": stateTable.sortKey },
        ExpressionAttributeValues: {
          ":pk": scanKey(repository, digest)[stateTable.partitionKey],
          ":waiter": "waiter#",
        },
        ConsistentRead: true,
      }),
    ),
  );
  return (out.Items ?? []).map((i) => ({
    executionArn: String(i.executionArn),
    taskToken: String(i.taskToken),
    threshold: String(i.threshold),
  }));
}

// ---- action limit ----------------------------------------------------------------------------

/**
 * Takes one unit of the action budget for the current window (fixed windows of
 * `windowSeconds`). False when `max` actions already ran in this window: the caller does
 * nothing and says so. One atomic conditional update, so concurrent callers cannot overspend.
 */
export async function takeActionBudget(
  store: StateStore,
  limit: { max: number; windowSeconds: number },
): Promise<boolean> {
  const now = store.now();
  const window = Math.floor(now.getTime() / 1000 / limit.windowSeconds);
  try {
    await store.db.send(
      new UpdateCommand({
        TableName: store.table,
        Key: { [stateTable.partitionKey]: "action-budget", [stateTable.sortKey]: `window#${window}` },
        UpdateExpression: "ADD used :one SET #ttl = :ttl",
        ConditionExpression: "attribute_not_exists(used) OR used < :max",
        ExpressionAttributeNames: { "#ttl": stateTable.ttlAttribute },
        ExpressionAttributeValues: { ":one": 1, ":max": limit.max, ":ttl": expiresAfterDays(now, 2) },
      }),
    );
    return true;
  } catch (error) {
    if ((error as Error).name === "ConditionalCheckFailedException") return false;
    return awsStep("take action budget", () => Promise.reject(error));
  }
}
