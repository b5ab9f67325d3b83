import type { Context, Handler } from "aws-lambda";
import type { ControlPlane } from "../../packages/cli/src/local/control-plane.ts";
import { LOCAL_NAMES } from "../../packages/cli/src/local/control-plane.ts";
import type { FunctionName } from "../../packages/core/src/wiring.ts";
import { factories } from "../../packages/functions/src/index.ts";
import type { CallRecord, Invocation } from "../../packages/sim/src/index.ts";
import { fuzzRuns, type Json } from "./fuzz.ts";

/**
 * The function fuzz (issue #11's done-when): mutated events through every Lambda handler in
 * packages/functions/src, each invoked as Lambda invokes it on the simulated account (the event
 * serialised, the handler run as its function's role), one shared control plane per test file.
 * Writes are counted from the simulated account's call log: the calls made as the function
 * (its principal) while it handled the event, reads excluded.
 */

/** Each function's share of the events (`SWITCHYARD_FUZZ_RUNS`, 100,000 by default, in all). */
const SHARES: Record<FunctionName, number> = {
  "deploy-trigger": 0.1,
  "scan-result": 0.06,
  rollback: 0.08,
  "deploy-watch": 0.06,
  "cost-intake": 0.08,
  "failover-trigger": 0.08,
  "secret-leak": 0.06,
  "secrets-stuck": 0.04,
  "github-webhook": 0.12,
  "deploy-steps": 0.07,
  "cost-steps": 0.07,
  "failover-steps": 0.07,
  "secret-leak-steps": 0.05,
  rotate: 0.06,
};

/** Total events of the fuzz in this run. */
export const FUZZ_TOTAL = fuzzRuns(100_000);

/** How many events `fn` gets: its share of FUZZ_TOTAL, at least one. */
export const eventsFor = (fn: FunctionName): number => Math.max(1, Math.ceil(FUZZ_TOTAL * SHARES[fn]));

/** The name the local control plane registers `fn` under. */
export const localName = (fn: FunctionName): string => `${LOCAL_NAMES.functionPrefix}${fn}`;

/** Registers `fn` again on `plane`, recording every invocation the flows make into `into`. */
export function capture(plane: ControlPlane, fn: keyof typeof factories, into: Json[]): void {
  const handler = factories[fn](() => plane.context);
  plane.account.lambda.registerHandler(localName(fn), async (event, ctx) => {
    into.push(JSON.parse(JSON.stringify(event)) as Json);
    return (handler as Handler)(event, ctx as unknown as Context, () => undefined);
  });
}

/** A call that changes nothing: AWS's read verbs (Get, Describe, List, Query, Scan, BatchGet...). */
const READ = /^(Get|Describe|List|Query|Scan|BatchGet|TransactGet)/;

/**
 * The writes among the calls `principal` made from call index `from` on that AWS carried out
 * (a refused call, denied or failed, changed nothing).
 */
export function writesSince(plane: ControlPlane, principal: string, from: number): CallRecord[] {
  return plane.account.calls
    .slice(from)
    .filter((c) => c.principal === principal && !c.error && !READ.test(c.action));
}

/** A write that only dead-letters: SendMessage to the control plane's dead-letter queue. */
export function deadLetters(plane: ControlPlane, call: CallRecord): boolean {
  return (
    call.service === "sqs" &&
    call.action === "SendMessage" &&
    String((call.input as { QueueUrl?: unknown }).QueueUrl).endsWith(`/${plane.dlqName}`)
  );
}

/** What one function's fuzz saw. */
export interface Tally {
  events: number;
  rejected: number;
  accepted: number;
  /** Up to five events that broke a rule, described in one line each. */
  broken: string[];
  brokenCount: number;
}

export const tally = (): Tally => ({ events: 0, rejected: 0, accepted: 0, broken: [], brokenCount: 0 });

/** Records a broken rule (keeping five examples, each cut to 600 characters). */
export function broke(t: Tally, what: string): void {
  t.brokenCount++;
  if (t.broken.length < 5) t.broken.push(process.env.FUZZ_FULL ? what : what.slice(0, 600));
}

/** Prints the counts per function, the done-when's evidence, one line each. */
export function printTallies(title: string, tallies: Partial<Record<FunctionName, Tally>>): void {
  const lines = Object.entries(tallies).map(
    ([fn, t]) =>
      `  ${fn.padEnd(18)} ${String(t?.events).padStart(7)} events: ${t?.rejected} rejected, ${t?.accepted} accepted, ${t?.brokenCount} broken`,
  );
  process.stdout.write(`${title}\n${lines.join("\n")}\n`);
}

/** What one fuzzed invocation came to: counted as accepted or rejected, and a rule it broke, if any. */
export interface Verdict {
  readonly as?: "accepted" | "rejected";
  readonly broke?: string;
}

/**
 * One function's fuzz loop: `count` times, `next(i)` makes an invocation (its `event` and
 * whatever the judge needs), `fn` is invoked with it on `plane` as `principal` (and the plane
 * settled, unless `settle` is false), and `judge` rules on the answer and on the writes the
 * function made for it (read only when asked for); the function's tally, registered in
 * `tallies`, counts the verdicts.
 */
export async function fuzzInvocations<M extends { event: unknown }>(
  plane: ControlPlane,
  fn: FunctionName,
  tallies: Partial<Record<FunctionName, Tally>>,
  run: {
    count: number;
    principal: string;
    settle?: boolean;
    next: (i: number) => M | Promise<M>;
    judge: (made: M, out: Invocation, writes: () => CallRecord[]) => Verdict;
  },
): Promise<Tally> {
  const name = localName(fn);
  const t = tally();
  tallies[fn] = t;
  for (let i = 0; i < run.count; i++) {
    const made = await run.next(i);
    const before = plane.account.calls.length;
    const out = await plane.account.lambda.invoke(name, made.event, { principal: run.principal });
    if (run.settle !== false) await plane.settle();
    t.events++;
    const verdict = run.judge(made, out, () => writesSince(plane, name, before));
    if (verdict.as) t[verdict.as]++;
    if (verdict.broke !== undefined) broke(t, verdict.broke);
  }
  return t;
}

/** The calls' `service:action` names, for a broken rule's line. */
export const callNames = (calls: readonly CallRecord[]): string =>
  calls.map((c) => `${c.service}:${c.action}`).join(", ");
