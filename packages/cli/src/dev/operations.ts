// Shared by the command table and the dev client, and imported by main.ts before it loads
// either: it imports nothing.

/**
 * The operations verbs that act on a running `switchyard dev` when one runs here (its
 * .switchyard/dev.json); without one, dev/verbs.ts says so, or hands them back (--aws,
 * --dry-run, a local failover) to the command table.
 */
export const DEV_OPERATIONS: ReadonlySet<string> = new Set([
  "status",
  "history",
  "pause",
  "resume",
  "rollback",
  "promote",
  "abandon",
  "approve",
  "deny",
  "failover",
  "deploy",
  "retry",
  "abort",
  "unfreeze",
]);

/** The audit records as `switchyard history` prints them for a human, one a line. */
export const historyText = (
  records: readonly { at: string; reaction: string; decision: string; subject?: string; reason: string }[],
): string =>
  records
    .map((r) => `${r.at}  ${r.reaction.padEnd(12)} ${r.decision.padEnd(14)} ${r.subject ?? ""} ${r.reason}`)
    .join("\n") || "(no audit records)";
