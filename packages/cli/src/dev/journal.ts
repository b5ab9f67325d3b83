import { createReadStream, existsSync } from "node:fs";
import { appendFile, mkdir, rename, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { createInterface } from "node:readline";
import type { DeploymentAction } from "@switchyard/core/deployments/operator";

/**
 * The journal of a `switchyard dev` control plane (`.switchyard/journal.jsonl`): every input it
 * took, in order, each stamped with the virtual instant it was applied at. The simulated account
 * is deterministic on its virtual clock, so replaying the journal on a fresh account rebuilds the
 * state the last run left (docs/decisions/0016-dev-control-plane-journal.md).
 */

/** What an operator (the CLI or the dashboard) asked of the running control plane. */
export type OperatorAction =
  | { readonly do: "pause" | "resume"; readonly reason: string; readonly by: string }
  | {
      readonly do: "rollback" | "promote" | "abandon";
      readonly deployment: string;
      readonly reason: string;
      readonly by: string;
      /** rollback --to: the older version to go back to (ADR 0020). */
      readonly to?: string;
    }
  | { readonly do: "approve" | "deny"; readonly anomaly: string; readonly by: string }
  /** A deployment's approval gate (issue #12): who answered and why. */
  | {
      readonly do: "deploy-approve" | "deploy-deny";
      readonly deployment: string;
      readonly reason: string;
      readonly by: string;
    }
  | {
      readonly do: "failover-start" | "failback-start";
      readonly runbook: string;
      readonly dryRun: boolean;
      readonly by: string;
    }
  | { readonly do: "failover-approve" | "failover-deny"; readonly runbook: string; readonly by: string }
  /** deploy, pause|resume DEPLOYMENT, retry, abort (ADR 0029). */
  | ({ readonly do: "deployment" } & DeploymentAction);

export type JournalEntry =
  /** The journal's first line: where the virtual clock started and which config it ran. */
  | { readonly kind: "start"; readonly at: number; readonly config: string; readonly version: 1 }
  /** One event as it was sent: an EventBridge event or the Lambda SNS event of a cost alert. */
  | { readonly kind: "event"; readonly at: number; readonly event: unknown; readonly from: string }
  | { readonly kind: "action"; readonly at: number; readonly action: OperatorAction }
  /** The virtual clock reached `at` (a timer fired, `switchyard advance`, or time simply passed). */
  | { readonly kind: "clock"; readonly at: number };

export interface StateDir {
  readonly root: string;
  readonly journal: string;
  readonly inbox: string;
  /** Where a running `switchyard dev` says where it listens: `{ port, pid, url }`. */
  readonly server: string;
}

export function stateDir(cwd: string): StateDir {
  const root = join(cwd, ".switchyard");
  return {
    root,
    journal: join(root, "journal.jsonl"),
    inbox: join(root, "inbox"),
    server: join(root, "dev.json"),
  };
}

/** Reads the journal line by line (it may be long), calling `each` in order. Absent journal: nothing. */
export async function readJournal(
  path: string,
  each: (entry: JournalEntry, line: number) => Promise<void>,
): Promise<number> {
  if (!existsSync(path)) return 0;
  const lines = createInterface({ input: createReadStream(path, "utf8"), crlfDelay: Infinity });
  let n = 0;
  for await (const text of lines) {
    n++;
    if (text.trim() === "") continue;
    let entry: JournalEntry;
    try {
      entry = JSON.parse(text) as JournalEntry;
    } catch (error) {
      // A line cut short by a crash mid-write is the last one: what came before still stands.
      throw new JournalError(
        `${path}:${n} is not JSON (${(error as Error).message}); move the journal aside or start with --reset`,
      );
    }
    await each(entry, n);
  }
  return n;
}

export class JournalError extends Error {}

/** Appends entries, one JSON line each, in the order they are given (writes are queued). */
export class JournalWriter {
  readonly #path: string;
  #queue: Promise<void> = Promise.resolve();

  constructor(path: string) {
    this.#path = path;
  }

  append(entry: JournalEntry): Promise<void> {
    const line = `${JSON.stringify(entry)}\n`;
    this.#queue = this.#queue.then(() => appendFile(this.#path, line, "utf8"));
    return this.#queue;
  }

  flushed(): Promise<void> {
    return this.#queue;
  }
}

/** Starts a journal afresh: the old one, if any, is kept beside it under a dated name. */
export async function resetJournal(dir: StateDir, start: Extract<JournalEntry, { kind: "start" }>) {
  await mkdir(dir.root, { recursive: true });
  if (existsSync(dir.journal))
    await rename(dir.journal, `${dir.journal.replace(/\.jsonl$/, "")}-${Date.now()}.jsonl`);
  await writeFile(dir.journal, `${JSON.stringify(start)}\n`, "utf8");
}
