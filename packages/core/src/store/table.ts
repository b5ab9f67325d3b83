/**
 * Switchyard keeps its state (audit records, idempotency, deployment records, the kill switch,
 * webhook delivery ids) in one DynamoDB table. This is the table's shape: `stacks/` creates it
 * from this data and the local runtime creates the same table in dynalite.
 */
export const stateTable = {
  partitionKey: "pk",
  sortKey: "sk",
  ttlAttribute: "expiresAt",
  /** Env var through which functions learn the table name. */
  envVar: "SWITCHYARD_TABLE",
  /** Table name used by the local runtime and tests. */
  localName: "switchyard-state",
} as const;

/** Epoch seconds `days` from `now`, for the table's TTL attribute. */
export function expiresAfterDays(now: Date, days: number): number {
  return Math.floor(now.getTime() / 1000) + days * 86_400;
}
