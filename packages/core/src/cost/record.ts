import { GetCommand, PutCommand, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import { awsStep } from "../errors.ts";
import type { StateStore } from "../store/state.ts";
import { expiresAfterDays, stateTable } from "../store/table.ts";

/** What happened to one resource (or one notification) in a response. */
export interface AppliedAction {
  readonly type: string;
  readonly target: string;
  readonly tier: string;
  readonly at: string;
  /**
   * applied | dry-run | protected | limited | failed | reverted | revert-skipped | not-applied,
   * or a write recorded ahead: applying (the prior state is on record, the write may not have
   * landed) | reverting (the same for the revert).
   */
  readonly status: string;
  readonly note: string;
  /** The value before Switchyard's change (restored on revert). */
  readonly previous?: unknown;
  /** The value Switchyard set: the revert guard checks the resource still holds it. */
  readonly set?: unknown;
  /** This outcome's audit, recorded with it and taken off once written (see PendingAudit). */
  readonly audit?: PendingAudit;
}

/**
 * An audit recorded ahead, on the response, in the same write as the outcome it reports: its
 * key (`auditSortKey`) and words. The step writes it under that key and then takes it off; a
 * step retried in between finds it still there and writes it again under the same key, which
 * adds nothing. So an outcome the retry skips (it is settled) is still audited, and only once.
 */
export interface PendingAudit {
  readonly key: string;
  readonly decision: string;
  readonly reason: string;
  readonly details?: Record<string, unknown>;
}

/**
 * The one response to one anomaly (`cost#<anomalyId>`): the lock that keeps repeats of the
 * anomaly on one execution, the tier it reached, what was applied, and the task tokens a
 * repeat (escalation, resolution) or a human (approval) answers.
 */
export interface ResponseRecord {
  readonly anomalyId: string;
  readonly executionArn: string;
  readonly status: "open" | "ended";
  readonly rule: string;
  readonly tier: string;
  readonly rank: number;
  readonly totalImpact: number;
  readonly updatedAt: string;
  readonly applied: Record<string, AppliedAction>;
  /** The next input for the execution (escalation or resolution) when it was not waiting yet. */
  readonly pending?: Record<string, unknown>;
  /**
   * The execution's input (JSON text, sent byte for byte) while its StartExecution is not yet
   * confirmed: the response is opened with it, and whoever finds it there (a retry of the
   * delivery, or the next one) starts the execution under its one name, then takes it off.
   */
  readonly startInput?: string;
  /** The "ended" audit, recorded before it is written and the response ends (see PendingAudit). */
  readonly ending?: PendingAudit;
  readonly watchToken?: string;
  readonly approvalToken?: string;
}

const key = (anomalyId: string) => ({
  [stateTable.partitionKey]: `cost#${anomalyId}`,
  [stateTable.sortKey]: "response",
});
const RESPONSE_DAYS = 30;
const conditionFailed = (error: unknown) => (error as Error).name === "ConditionalCheckFailedException";

export async function readResponse(
  store: StateStore,
  anomalyId: string,
): Promise<ResponseRecord | undefined> {
  const out = await awsStep("read cost response", () =>
    store.db.send(new GetCommand({ TableName: store.table, Key: key(anomalyId), ConsistentRead: true })),
  );
  if (!out.Item) return undefined;
  const { pk: _pk, sk: _sk, expiresAt: _e, ...record } = out.Item;
  return record as ResponseRecord;
}

/** Opens the response for an anomaly; false when one exists already (a repeat, or a racing first delivery). */
export async function openResponse(
  store: StateStore,
  record: Omit<ResponseRecord, "updatedAt" | "applied" | "status">,
): Promise<boolean> {
  try {
    await store.db.send(
      new PutCommand({
        TableName: store.table,
        Item: {
          ...key(record.anomalyId),
          ...record,
          status: "open",
          applied: {},
          updatedAt: store.now().toISOString(),
          [stateTable.ttlAttribute]: expiresAfterDays(store.now(), RESPONSE_DAYS),
        },
        ConditionExpression: "attribute_not_exists(#pk)",
        ExpressionAttributeNames: { "#pk": stateTable.partitionKey },
      }),
    );
    return true;
  } catch (error) {
    if (conditionFailed(error)) return false;
    return awsStep("open cost response", () => Promise.reject(error));
  }
}

/**
 * Sets fields of an open response owned by `executionArn`. False when the response ended or
 * another execution owns it: the caller is stale and must not act on the record.
 */
export async function updateResponse(
  store: StateStore,
  anomalyId: string,
  changes: { set?: Record<string, unknown>; remove?: string[]; applied?: Record<string, AppliedAction> },
  guard: {
    executionArn?: string;
    ifToken?: { field: "watchToken" | "approvalToken"; value: string };
    /** Only while the start is unconfirmed (`startInput` on record): one caller confirms it. */
    ifStarting?: boolean;
  } = {},
): Promise<boolean> {
  const names: Record<string, string> = { "#status": "status" };
  const values: Record<string, unknown> = { ":open": "open", ":now": store.now().toISOString() };
  const sets = ["updatedAt = :now"];
  let n = 0;
  for (const [field, value] of Object.entries(changes.set ?? {})) {
    names[`#f${n}`] = field;
    values[`:v${n}`] = value;
    sets.push(`#f${n} = :v${n}`);
    n++;
  }
  for (const [entry, value] of Object.entries(changes.applied ?? {})) {
    names["#applied"] = "applied";
    names[`#a${n}`] = entry;
    values[`:v${n}`] = value;
    sets.push(`#applied.#a${n} = :v${n}`);
    n++;
  }
  const removes = (changes.remove ?? []).map((field) => {
    names[`#r${n}`] = field;
    return `#r${n++}`;
  });
  const conditions = ["#status = :open"];
  if (guard.executionArn) {
    values[":me"] = guard.executionArn;
    conditions.push("executionArn = :me");
  }
  if (guard.ifToken) {
    names["#token"] = guard.ifToken.field;
    values[":token"] = guard.ifToken.value;
    conditions.push("#token = :token");
  }
  if (guard.ifStarting) conditions.push("attribute_exists(startInput)");
  try {
    await store.db.send(
      new UpdateCommand({
        TableName: store.table,
        Key: key(anomalyId),
        UpdateExpression: `SET ${sets.join(", ")}${removes.length ? ` REMOVE ${removes.join(", ")}` : ""}`,
        ConditionExpression: conditions.join(" AND "),
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: values,
      }),
    );
    return true;
  } catch (error) {
    if (conditionFailed(error)) return false;
    return awsStep("update cost response", () => Promise.reject(error));
  }
}
