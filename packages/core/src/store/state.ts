import { randomUUID } from "node:crypto";
import {
  BatchGetCommand,
  DeleteCommand,
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

/**
 * Write order within this process: records written in the same millisecond sort by it. A random
 * suffix after it keeps keys from two containers distinct (their order within one millisecond is
 * not knowable anyway).
 */
let auditSequence = 0;

/** `at#sequence#suffix`: ISO time, then a zero-padded counter, so the sort key's order is write order. */
export function auditSortKey(at: string): string {
  auditSequence = (auditSequence + 1) % 1e12;
  return `${at}#${String(auditSequence).padStart(12, "0")}#${randomUUID().slice(0, 8)}`;
}

/**
 * Writes one audit record. With `key` (an `auditSortKey` the caller recorded ahead, e.g. on the
 * record of what it changed), the write is idempotent: a retry that writes the same key again
 * finds it there and adds nothing, so an effect whose audit may or may not have landed is
 * audited exactly once. The record's time is the key's.
 */
export async function recordAudit(
  store: StateStore,
  record: Omit<AuditRecord, "at">,
  key?: string,
): Promise<AuditRecord> {
  const at = key ? key.slice(0, key.indexOf("#")) : store.now().toISOString();
  const full: AuditRecord = { at, ...record };
  try {
    await store.db.send(
      new PutCommand({
        TableName: store.table,
        Item: {
          [stateTable.partitionKey]: AUDIT_PK,
          [stateTable.sortKey]: key ?? auditSortKey(at),
          [stateTable.ttlAttribute]: expiresAfterDays(new Date(at), AUDIT_DAYS),
          ...full,
        },
        ...(key
          ? {
              ConditionExpression: "attribute_not_exists(#sk)",
              ExpressionAttributeNames: { "#sk": stateTable.sortKey },
            }
          : {}),
      }),
    );
  } catch (error) {
    if (!(key && (error as Error).name === "ConditionalCheckFailedException"))
      return awsStep("write audit record", () => Promise.reject(error));
  }
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
  return controlOf(out.Item as AutomationControl | undefined);
}

/** The kill switch as its item says; no item: automation runs. */
function controlOf(item: AutomationControl | undefined): AutomationControl {
  return {
    paused: item?.paused === true,
    ...(item?.reason ? { reason: item.reason } : {}),
    ...(item?.by ? { by: item.by } : {}),
    ...(item?.at ? { at: item.at } : {}),
  };
}

/**
 * Whether automation is paused, and why: the config's `safety.paused` OR the table's kill switch
 * (`switchyard pause`). Every decision to act reads this, never the kill switch alone, so a paused
 * config stops automation even with no record in the table. The functions' context carries the
 * config at run time (FunctionContext); a caller without one (a bare CoreDeps) sees the switch only.
 */
export async function automationPaused(deps: {
  readonly store: StateStore;
  readonly config?: { readonly safety: { readonly paused: boolean } };
}): Promise<AutomationControl> {
  if (deps.config?.safety.paused === true) {
    return { paused: true, reason: "safety.paused is true in the config", by: "config" };
  }
  return readControl(deps.store);
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

export type DeploymentStatus = "shifting" | "succeeded" | "rolled-back" | "failed" | "abandoned";

/** A push that waits for the deployment in flight to end (`onNewerImage: "queue"`). */
export interface QueuedDeploy {
  /** The deploy input as the trigger built it, without its generation (read when it starts). */
  readonly input: Record<string, unknown>;
  /** The execution name it will start under (derived from its event id). */
  readonly name: string;
  readonly queuedAt: string;
}

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
  /**
   * The fence: every claim, rollback, operator action and observed foreign alias change
   * advances it (one conditional write each). An execution writes only while the record
   * carries the generation its claim set; otherwise it is stale.
   */
  readonly generation: number;
  readonly reason?: string;
  readonly queued?: QueuedDeploy;
}

const deploymentKey = (deployment: string) => ({
  [stateTable.partitionKey]: `deployment#${deployment}`,
  [stateTable.sortKey]: "current",
});

export async function readDeployment(
  store: StateStore,
  deployment: string,
): Promise<DeploymentRecord | undefined> {
  return asDeploymentRecord(
    await readItem<Record<string, unknown>>(store, "read deployment record", deploymentKey(deployment)),
  );
}

/**
 * One item of the state table, strongly consistent, as its fields without the key attributes;
 * undefined when there is none. `what` names the read in errors (awsStep).
 */
export async function readItem<T>(
  store: StateStore,
  what: string,
  key: Record<string, string>,
): Promise<T | undefined> {
  const out = await awsStep(what, () =>
    store.db.send(new GetCommand({ TableName: store.table, Key: key, ConsistentRead: true })),
  );
  return out.Item && (withoutKey(out.Item) as T);
}

/** An item's fields without its key attributes. */
function withoutKey(item: Record<string, unknown>): Record<string, unknown> {
  const { [stateTable.partitionKey]: _pk, [stateTable.sortKey]: _sk, ...fields } = item;
  return fields;
}

/** A deployment record from its item's fields; records written before fencing are generation 0. */
function asDeploymentRecord(fields: Record<string, unknown> | undefined): DeploymentRecord | undefined {
  if (!fields) return undefined;
  return { ...fields, generation: Number(fields.generation ?? 0) } as DeploymentRecord;
}

/** Keys one BatchGetItem may ask for (DynamoDB API Reference, BatchGetItem: "as many as 100 items"). */
const BATCH_GET_LIMIT = 100;
/** Rounds of UnprocessedKeys retried before the read fails: each round reads at least one item or throttles. */
const BATCH_GET_ROUNDS = 10;

/**
 * What the alarm path decides on, read in one round trip where the read once took one per item: the
 * kill switch (as `automationPaused` says it) and the deployment record of each of `deployments`, in
 * their order, as strongly consistent reads — one BatchGetItem with ConsistentRead, whose items are
 * each as current as a ConsistentRead GetItem of it. A paused config reads the records alone.
 * BatchGetItem answers in any order and may leave keys unprocessed; those are asked for again
 * (https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_BatchGetItem.html).
 */
export async function readControlAndDeployments(
  deps: Parameters<typeof automationPaused>[0],
  deployments: readonly string[],
): Promise<{ control: AutomationControl; records: (DeploymentRecord | undefined)[] }> {
  const configPaused = deps.config?.safety.paused === true;
  const keys = [...(configPaused ? [] : [CONTROL_KEY]), ...[...new Set(deployments)].map(deploymentKey)];
  if (keys.length > BATCH_GET_LIMIT) {
    const [control, records] = await Promise.all([
      automationPaused(deps),
      Promise.all(deployments.map((d) => readDeployment(deps.store, d))),
    ]);
    return { control, records };
  }
  const found = new Map<string, Record<string, unknown>>();
  const id = (key: Record<string, unknown>) =>
    `${key[stateTable.partitionKey]}\u0000${key[stateTable.sortKey]}`;
  let pending: Record<string, unknown>[] = keys;
  for (let round = 1; pending.length > 0; round++) {
    if (round > BATCH_GET_ROUNDS)
      throw new Error(
        `read kill switch and deployment records: ${pending.length} keys still unprocessed after ${BATCH_GET_ROUNDS} BatchGetItem rounds`,
      );
    const asked = pending;
    const out = await awsStep("read kill switch and deployment records", () =>
      deps.store.db.send(
        new BatchGetCommand({
          RequestItems: { [deps.store.table]: { Keys: asked, ConsistentRead: true } },
        }),
      ),
    );
    for (const item of out.Responses?.[deps.store.table] ?? []) found.set(id(item), item);
    pending = (out.UnprocessedKeys?.[deps.store.table]?.Keys ?? []) as Record<string, unknown>[];
  }
  const control = configPaused
    ? await automationPaused(deps)
    : controlOf(found.get(id(CONTROL_KEY)) as AutomationControl | undefined);
  const record = (d: string) => {
    const item = found.get(id(deploymentKey(d)));
    return asDeploymentRecord(item && withoutKey(item));
  };
  return { control, records: deployments.map(record) };
}

/** One conditional write on the record; false when its condition does not hold. */
async function conditional(what: string, send: () => Promise<unknown>): Promise<boolean> {
  try {
    await send();
    return true;
  } catch (error) {
    if ((error as Error).name === "ConditionalCheckFailedException") return false;
    return awsStep(what, () => Promise.reject(error));
  }
}

/**
 * Claims the deployment for `record.executionArn` under the fence: only when the record still
 * carries `generation` (the one the trigger read when it built the input) and no deployment is
 * shifting, or when this very execution holds the claim already (a retry or a redrive). The
 * claim sets generation + 1. False otherwise: the caller reads the record to say why.
 */
export async function claimDeployment(
  store: StateStore,
  record: Omit<DeploymentRecord, "updatedAt" | "generation" | "queued">,
  generation: number,
): Promise<boolean> {
  const next = generation + 1;
  return conditional("claim deployment", () =>
    store.db.send(
      new UpdateCommand({
        TableName: store.table,
        Key: deploymentKey(record.deployment),
        UpdateExpression:
          "SET deployment = :dep, executionArn = :me, functionName = :fn, #alias = :alias, stableVersion = :stable, newVersion = :new, imageUri = :uri, #status = :shifting, startedAt = :started, updatedAt = :now, generation = :next REMOVE reason",
        ConditionExpression:
          "(attribute_not_exists(#pk) AND :gen = :zero) OR (#status <> :shifting AND (generation = :gen OR (attribute_not_exists(generation) AND :gen = :zero))) OR (executionArn = :me AND generation = :next AND #status = :shifting)",
        ExpressionAttributeNames: { "#pk": stateTable.partitionKey, "#status": "status", "#alias": "alias" },
        ExpressionAttributeValues: {
          ":dep": record.deployment,
          ":me": record.executionArn,
          ":fn": record.functionName,
          ":alias": record.alias,
          ":stable": record.stableVersion,
          ":new": record.newVersion,
          ":uri": record.imageUri,
          ":shifting": "shifting",
          ":started": record.startedAt,
          ":now": store.now().toISOString(),
          ":gen": generation,
          ":next": next,
          ":zero": 0,
        },
      }),
    ),
  );
}

/** Records the version this execution published, only while it holds the claim at `generation`. */
export async function recordNewVersion(
  store: StateStore,
  deployment: string,
  fence: { executionArn: string; generation: number },
  newVersion: string,
): Promise<boolean> {
  return conditional("record new version", () =>
    store.db.send(
      new UpdateCommand({
        TableName: store.table,
        Key: deploymentKey(deployment),
        UpdateExpression: "SET newVersion = :new, updatedAt = :now",
        ConditionExpression: "executionArn = :me AND generation = :gen AND #status = :shifting",
        ExpressionAttributeNames: { "#status": "status" },
        ExpressionAttributeValues: {
          ":new": newVersion,
          ":now": store.now().toISOString(),
          ":me": fence.executionArn,
          ":gen": fence.generation,
          ":shifting": "shifting",
        },
      }),
    ),
  );
}

/**
 * Moves a deployment out of "shifting", only if `fence.executionArn` still owns it at
 * `fence.generation` and it is shifting (or already has this status): a late or replayed step
 * never overwrites the record of a newer deployment, nor turns a rolled-back deployment into a
 * succeeded one. With `advance` (a rollback, an operator action, an observed foreign change,
 * an abandon), the generation moves on, so every execution that read the old one is stale.
 * False when it does not hold.
 */
export async function settleDeployment(
  store: StateStore,
  deployment: string,
  fence: { executionArn: string; generation: number },
  status: Exclude<DeploymentStatus, "shifting">,
  reason: string,
  options: { advance?: boolean } = {},
): Promise<boolean> {
  // A rollback may also settle a deployment that its final step marked succeeded in the
  // meantime (or that an operator rolls back later): the alias is back on the stable version,
  // and the record must say so. Settling again to the same status lets a retry get through.
  const from = status === "rolled-back" ? [":shifting", ":status", ":succeeded"] : [":shifting", ":status"];
  return conditional("settle deployment", () =>
    store.db.send(
      new UpdateCommand({
        TableName: store.table,
        Key: deploymentKey(deployment),
        UpdateExpression: `SET #status = :status, reason = :reason, updatedAt = :now${options.advance ? ", generation = :next" : ""}`,
        ConditionExpression: `executionArn = :me AND (generation = :gen OR (attribute_not_exists(generation) AND :gen = :zero)) AND #status IN (${from.join(", ")})`,
        ExpressionAttributeNames: { "#status": "status" },
        ExpressionAttributeValues: {
          ":shifting": "shifting",
          ":status": status,
          ...(status === "rolled-back" ? { ":succeeded": "succeeded" } : {}),
          ":reason": reason,
          ":now": store.now().toISOString(),
          ":me": fence.executionArn,
          ":gen": fence.generation,
          ":zero": 0,
          ...(options.advance ? { ":next": fence.generation + 1 } : {}),
        },
      }),
    ),
  );
}

/**
 * Advances the generation of a settled (or absent) record, conditional on the one read: an
 * observed foreign change or an operator decision fences off every execution that read it.
 */
export async function advanceGeneration(
  store: StateStore,
  deployment: string,
  seen: number,
  reason: string,
): Promise<boolean> {
  return conditional("advance deployment generation", () =>
    store.db.send(
      new UpdateCommand({
        TableName: store.table,
        Key: deploymentKey(deployment),
        UpdateExpression:
          "SET deployment = :dep, generation = :next, updatedAt = :now, reason = :reason, #status = if_not_exists(#status, :settled), executionArn = if_not_exists(executionArn, :none)",
        ConditionExpression: "(attribute_not_exists(generation) AND :gen = :zero) OR generation = :gen",
        ExpressionAttributeNames: { "#status": "status" },
        ExpressionAttributeValues: {
          ":dep": deployment,
          ":next": seen + 1,
          ":gen": seen,
          ":zero": 0,
          ":now": store.now().toISOString(),
          ":reason": reason,
          ":settled": "abandoned",
          ":none": "",
        },
      }),
    ),
  );
}

/**
 * An operator put the alias on `stableVersion` (`switchyard rollback --to`): the record, settled
 * or absent, is settled as rolled back with that version as stable, its generation advanced
 * from `seen` (the fence: every execution that read it is stale) and its queued push dropped.
 * False when the record moved on since it was read, or is shifting. Returns the dropped push.
 */
export async function pinDeployment(
  store: StateStore,
  deployment: string,
  seen: number,
  pin: { functionName: string; alias: string; stableVersion: string; reason: string },
): Promise<{ pinned: boolean; dropped?: QueuedDeploy }> {
  try {
    const out = await store.db.send(
      new UpdateCommand({
        TableName: store.table,
        Key: deploymentKey(deployment),
        UpdateExpression:
          "SET deployment = :dep, functionName = :fn, #alias = :alias, stableVersion = :stable, newVersion = :none, #status = :status, reason = :reason, updatedAt = :now, generation = :next, executionArn = if_not_exists(executionArn, :none), imageUri = if_not_exists(imageUri, :none), startedAt = if_not_exists(startedAt, :now) REMOVE queued",
        ConditionExpression:
          "((attribute_not_exists(generation) AND :gen = :zero) OR generation = :gen) AND (attribute_not_exists(#status) OR #status <> :shifting)",
        ExpressionAttributeNames: { "#status": "status", "#alias": "alias" },
        ExpressionAttributeValues: {
          ":dep": deployment,
          ":fn": pin.functionName,
          ":alias": pin.alias,
          ":stable": pin.stableVersion,
          ":none": "",
          ":status": "rolled-back",
          ":shifting": "shifting",
          ":reason": pin.reason,
          ":now": store.now().toISOString(),
          ":gen": seen,
          ":next": seen + 1,
          ":zero": 0,
        },
        ReturnValues: "ALL_OLD",
      }),
    );
    const dropped = out.Attributes?.queued as QueuedDeploy | undefined;
    return { pinned: true, ...(dropped ? { dropped } : {}) };
  } catch (error) {
    if ((error as Error).name === "ConditionalCheckFailedException") return { pinned: false };
    return awsStep("pin deployment", () => Promise.reject(error));
  }
}

/** Keeps `queued` as the push that starts when the deployment in flight ends (the newest wins). */
export async function queueDeploy(
  store: StateStore,
  deployment: string,
  queued: QueuedDeploy,
): Promise<boolean> {
  return conditional("queue deploy", () =>
    store.db.send(
      new UpdateCommand({
        TableName: store.table,
        Key: deploymentKey(deployment),
        UpdateExpression: "SET queued = :queued",
        ConditionExpression: "#status = :shifting",
        ExpressionAttributeNames: { "#status": "status" },
        ExpressionAttributeValues: { ":queued": queued, ":shifting": "shifting" },
      }),
    ),
  );
}

/** Takes the queued push off a settled record, once: the caller that gets it starts it. */
export async function takeQueuedDeploy(
  store: StateStore,
  deployment: string,
): Promise<QueuedDeploy | undefined> {
  try {
    const out = await store.db.send(
      new UpdateCommand({
        TableName: store.table,
        Key: deploymentKey(deployment),
        UpdateExpression: "REMOVE queued",
        ConditionExpression: "attribute_exists(queued) AND #status <> :shifting",
        ExpressionAttributeNames: { "#status": "status" },
        ExpressionAttributeValues: { ":shifting": "shifting" },
        ReturnValues: "ALL_OLD",
      }),
    );
    return out.Attributes?.queued as QueuedDeploy | undefined;
  } catch (error) {
    if ((error as Error).name === "ConditionalCheckFailedException") return undefined;
    return awsStep("take queued deploy", () => Promise.reject(error));
  }
}

/**
 * The first of concurrent deliveries of one push to get here wins the right to start its
 * execution (and to spend the action budget for it): one conditional put keyed by the
 * execution name. "taken" when another delivery holds it; "abandoned" when that delivery took
 * it over `staleAfterSeconds` ago and its execution never appeared (it crashed in between).
 */
export async function claimExecutionStart(
  store: StateStore,
  executionName: string,
  staleAfterSeconds = 120,
): Promise<"won" | "taken" | "abandoned"> {
  const now = store.now();
  const key = { [stateTable.partitionKey]: `deploy-start#${executionName}`, [stateTable.sortKey]: "claim" };
  const won = await conditional("claim execution start", () =>
    store.db.send(
      new PutCommand({
        TableName: store.table,
        Item: { ...key, at: now.toISOString(), [stateTable.ttlAttribute]: expiresAfterDays(now, 2) },
        ConditionExpression: "attribute_not_exists(#pk)",
        ExpressionAttributeNames: { "#pk": stateTable.partitionKey },
      }),
    ),
  );
  if (won) return "won";
  const out = await awsStep("read execution start claim", () =>
    store.db.send(new GetCommand({ TableName: store.table, Key: key, ConsistentRead: true })),
  );
  const at = Date.parse(String(out.Item?.at ?? ""));
  return Number.isFinite(at) && now.getTime() - at > staleAfterSeconds * 1000 ? "abandoned" : "taken";
}

/** Gives the start claim back (the action limit refused it): a later delivery may try again. */
export async function releaseExecutionStart(store: StateStore, executionName: string): Promise<void> {
  await awsStep("release execution start claim", () =>
    store.db.send(
      new DeleteCommand({
        TableName: store.table,
        Key: { [stateTable.partitionKey]: `deploy-start#${executionName}`, [stateTable.sortKey]: "claim" },
      }),
    ),
  );
}

// ---- scan results and the deployments waiting for them ----------------------------------------

/**
 * What a scan is of: one image digest in one repository of one registry (account and region).
 * Two registries may hold repositories of the same name; a scan of one says nothing of the other.
 */
export interface ScanSubject {
  readonly account: string;
  readonly region: string;
  readonly repository: string;
  readonly digest: string;
}

const scanKey = (subject: ScanSubject) => ({
  [stateTable.partitionKey]: `scan#${subject.account}/${subject.region}/${subject.repository}@${subject.digest}`,
});

export interface StoredScan {
  readonly scanner: string;
  readonly status: string;
  readonly severityCounts: Record<string, number>;
  /** When the scanner finished, by the scanner's own clock (the scan event's time): what orders scans. */
  readonly scannedAt: string;
  /** How bad the result is (higher is worse): of two scans with one time, the worse one is kept. */
  readonly severityRank: number;
  /** When Switchyard received it, and from which event. */
  readonly receivedAt: string;
  readonly eventId: string;
}

/**
 * Stores a scan result unless a newer one is stored (by the scanner's time; at equal times the
 * worse result stays). An older result delivered late never replaces a newer one, so a stale
 * clean scan cannot lift the block of a newer CRITICAL one. True when this result is now the
 * newest, false when a newer (or equally new and at least as bad) one was kept.
 */
export async function putScanResult(
  store: StateStore,
  subject: ScanSubject,
  scan: StoredScan,
): Promise<boolean> {
  try {
    await store.db.send(
      new PutCommand({
        TableName: store.table,
        Item: {
          ...scanKey(subject),
          [stateTable.sortKey]: "result",
          ...scan,
          [stateTable.ttlAttribute]: expiresAfterDays(store.now(), 30),
        },
        ConditionExpression:
          "attribute_not_exists(#pk) OR scannedAt < :at OR (scannedAt = :at AND severityRank < :rank)",
        ExpressionAttributeNames: { "#pk": stateTable.partitionKey },
        ExpressionAttributeValues: { ":at": scan.scannedAt, ":rank": scan.severityRank },
      }),
    );
    return true;
  } catch (error) {
    if ((error as Error).name === "ConditionalCheckFailedException") return false;
    return awsStep("record scan result", () => Promise.reject(error));
  }
}

/** The newest scan result of an image, if any. */
export async function getScanResult(
  store: StateStore,
  subject: ScanSubject,
): Promise<StoredScan | undefined> {
  const out = await awsStep("read scan result", () =>
    store.db.send(
      new GetCommand({
        TableName: store.table,
        Key: { ...scanKey(subject), [stateTable.sortKey]: "result" },
        ConsistentRead: true,
      }),
    ),
  );
  if (!out.Item) return undefined;
  const { pk: _pk, sk: _sk, expiresAt: _exp, ...scan } = out.Item;
  return scan as StoredScan;
}

/** Registers a deployment waiting (with a task token) for the scan of an image. */
export async function putScanWaiter(
  store: StateStore,
  subject: ScanSubject,
  executionArn: string,
  taskToken: string,
  threshold: string,
): Promise<void> {
  await awsStep("register scan waiter", () =>
    store.db.send(
      new PutCommand({
        TableName: store.table,
        Item: {
          ...scanKey(subject),
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
  subject: ScanSubject,
): Promise<{ executionArn: string; taskToken: string; threshold: string }[]> {
  const out = await awsStep("list scan waiters", () =>
    store.db.send(
      new QueryCommand({
        TableName: store.table,
        KeyConditionExpression: "#pk = :pk AND begins_with(#sk, :waiter)",
        ExpressionAttributeNames: { "#pk": stateTable.partitionKey, "#sk": stateTable.sortKey },
        ExpressionAttributeValues: {
          ":pk": scanKey(subject)[stateTable.partitionKey],
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
 *
 * With `spendKey` (e.g. an execution and the resource it changes), the spend is idempotent:
 * the key is added to the window's set of spends in the same update, and a retry that finds
 * its key there has its unit already (a step retried after the budget was taken, before it
 * recorded anything). Keys are kept per window, so a retry in a later window spends again.
 */
export async function takeActionBudget(
  store: StateStore,
  limit: { max: number; windowSeconds: number },
  spendKey?: string,
): Promise<boolean> {
  const now = store.now();
  const window = Math.floor(now.getTime() / 1000 / limit.windowSeconds);
  const key = { [stateTable.partitionKey]: "action-budget", [stateTable.sortKey]: `window#${window}` };
  try {
    await store.db.send(
      new UpdateCommand({
        TableName: store.table,
        Key: key,
        UpdateExpression: `ADD used :one${spendKey ? ", spends :spend" : ""} SET #ttl = :ttl`,
        ConditionExpression: `(attribute_not_exists(used) OR used < :max)${spendKey ? " AND NOT contains(spends, :key)" : ""}`,
        ExpressionAttributeNames: { "#ttl": stateTable.ttlAttribute },
        ExpressionAttributeValues: {
          ":one": 1,
          ":max": limit.max,
          ":ttl": expiresAfterDays(now, 2),
          ...(spendKey ? { ":spend": new Set([spendKey]), ":key": spendKey } : {}),
        },
      }),
    );
    return true;
  } catch (error) {
    if ((error as Error).name !== "ConditionalCheckFailedException")
      return awsStep("take action budget", () => Promise.reject(error));
    if (!spendKey) return false;
    // Refused: the window is spent, or this key spent its unit already.
    const out = await awsStep("read action budget", () =>
      store.db.send(new GetCommand({ TableName: store.table, Key: key, ConsistentRead: true })),
    );
    return (out.Item?.spends as Set<string> | undefined)?.has(spendKey) === true;
  }
}

// ---- the newest GitHub artifact each deployment took (no downgrade by event) -------------------

/** A release or deployment a deployment took from a GitHub event, with its time on GitHub. */
export interface ArtifactWatermark {
  readonly kind: "release" | "deployment";
  readonly id: number;
  /** GitHub's time of the artifact (ISO): a release's published_at, a deployment's created_at. */
  readonly at: string;
  readonly label: string;
  readonly eventId: string;
}

const watermarkKey = (deployment: string) => ({
  [stateTable.partitionKey]: `deployment#${deployment}`,
  [stateTable.sortKey]: "github-artifact",
});

/**
 * Makes `artifact` the deployment's newest GitHub artifact unless a newer one is recorded (by
 * GitHub's time; an equal time passes, so a redelivery of the same release does). One conditional
 * write: of two concurrent deliveries, the older cannot pass after the newer. Returns undefined
 * when it passed, or the newer artifact that stands.
 */
export async function advanceArtifactWatermark(
  store: StateStore,
  deployment: string,
  artifact: ArtifactWatermark,
): Promise<ArtifactWatermark | undefined> {
  try {
    await store.db.send(
      new PutCommand({
        TableName: store.table,
        Item: { ...watermarkKey(deployment), ...artifact, updatedAt: store.now().toISOString() },
        ConditionExpression: "attribute_not_exists(#pk) OR #at <= :at",
        ExpressionAttributeNames: { "#pk": stateTable.partitionKey, "#at": "at" },
        ExpressionAttributeValues: { ":at": artifact.at },
      }),
    );
    return undefined;
  } catch (error) {
    if ((error as Error).name !== "ConditionalCheckFailedException")
      return awsStep("record GitHub artifact", () => Promise.reject(error));
  }
  const out = await awsStep("read GitHub artifact", () =>
    store.db.send(
      new GetCommand({ TableName: store.table, Key: watermarkKey(deployment), ConsistentRead: true }),
    ),
  );
  const { pk: _pk, sk: _sk, updatedAt: _at, ...stored } = out.Item ?? {};
  return stored as ArtifactWatermark;
}
