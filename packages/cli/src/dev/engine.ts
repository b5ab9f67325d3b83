import { createHash } from "node:crypto";
import type { Config } from "@switchyard/core/config/index";
import { decideApproval } from "@switchyard/core/cost/approval";
import { decideDeployApproval } from "@switchyard/core/deployments/gates";
import { answerApproval } from "@switchyard/core/failover/approval";
import { startFailback, startFailover } from "@switchyard/core/failover/operator";
import { type ControlPlane, startControlPlane } from "../local/control-plane.ts";
import {
  OpsError,
  type OpsTarget,
  operatorPromote,
  operatorRollback,
  operatorRollbackTo,
  setPaused,
} from "../ops.ts";
import { type EventReport, eventDeliverer } from "../replay.ts";
import { attachTimeline, timelineLine } from "../timeline.ts";
import {
  type JournalEntry,
  JournalError,
  JournalWriter,
  type OperatorAction,
  readJournal,
  resetJournal,
  type StateDir,
} from "./journal.ts";

/** One point of an alias's routing: at a virtual instant, the version and the extra version's weight. */
export interface AliasPoint {
  readonly at: number;
  readonly version: string;
  readonly weights: Record<string, number>;
}

export type ActionResult =
  | { readonly ok: true; readonly result: unknown }
  | { readonly ok: false; readonly error: string };

export interface DevPlaneOptions {
  readonly config: Config;
  readonly dir: StateDir;
  /** Virtual seconds per wall-clock second; 0 stops the clock (only `advance` moves it). */
  readonly speed: number;
  /** Where a new journal starts the virtual clock (ms since epoch); default: now. */
  readonly start?: number;
  /** Moves the old journal aside and starts afresh. */
  readonly reset?: boolean;
  /** Human timeline lines, as they happen (not while the journal is replayed). */
  readonly log?: (line: string) => void;
}

/** How the journal was replayed on start: what a long journal costs. */
export interface Restored {
  readonly entries: number;
  readonly events: number;
  readonly millis: number;
}

/**
 * The control plane `switchyard dev` runs: a local control plane on the simulated account whose
 * every input (events, operator actions, the clock moving) is written to the journal before it
 * is applied, and that rebuilds its state on start by replaying the journal. All work runs one
 * piece at a time, in the order it arrived, so the journal's order is the order things happened.
 */
export class DevPlane {
  readonly plane: ControlPlane;
  readonly #deliver: (raw: unknown) => Promise<EventReport>;
  readonly config: Config;
  readonly restored: Restored;
  /** Each deployment's alias routing over virtual time, by deployment name. */
  readonly series = new Map<string, AliasPoint[]>();
  readonly #journal: JournalWriter;
  readonly #listeners = new Set<() => void>();
  #queue: Promise<unknown> = Promise.resolve();
  #speed: number;
  #live = false;
  #closed = false;
  #ticker: NodeJS.Timeout | undefined;
  #lastWall = Date.now();
  #lastJournaledClock = 0;
  #lastClockWrite = Date.now();
  #ticking = false;

  private constructor(plane: ControlPlane, journal: JournalWriter, speed: number, restored: Restored) {
    this.plane = plane;
    this.#deliver = eventDeliverer(plane);
    this.config = plane.config;
    this.#journal = journal;
    this.#speed = speed;
    this.restored = restored;
  }

  static async open(options: DevPlaneOptions): Promise<DevPlane> {
    const { dir, config } = options;
    const fingerprint = configFingerprint(config);
    let start: Extract<JournalEntry, { kind: "start" }> | undefined;
    if (!options.reset)
      await readJournal(dir.journal, async (entry, line) => {
        if (line === 1) {
          if (entry.kind !== "start")
            throw new JournalError(`${dir.journal} does not start with a start line; start with --reset`);
          start = entry;
        }
      });
    if (start && start.config !== fingerprint)
      throw new JournalError(
        `${dir.journal} was recorded with another config; run with the same config, or start afresh with --reset (the old journal is kept beside it)`,
      );
    if (!start) {
      start = { kind: "start", at: options.start ?? Date.now(), config: fingerprint, version: 1 };
      await resetJournal(dir, start);
    }
    // The config holds no secret values: the simulated account makes some up, so status can read them.
    const plane = await startControlPlane(config, { start: start.at, generateSecretValues: true });
    const began = performance.now();
    let entries = 0;
    let events = 0;
    const dev = new DevPlane(plane, new JournalWriter(dir.journal), options.speed, {
      entries: 0,
      events: 0,
      millis: 0,
    });
    dev.#sample();
    try {
      await readJournal(dir.journal, async (entry, line) => {
        if (line === 1) return;
        entries++;
        if (entry.kind === "event") events++;
        await dev.#apply(entry);
      });
    } catch (error) {
      await plane.close();
      throw error;
    }
    (dev as { restored: Restored }).restored = {
      entries,
      events,
      millis: Math.round(performance.now() - began),
    };
    dev.#lastJournaledClock = plane.account.clock.now();
    if (options.log) attachTimeline(plane, (entry) => dev.#live && options.log?.(timelineLine(entry)));
    dev.#live = true;
    dev.#lastWall = Date.now();
    dev.#ticker = setInterval(() => void dev.#tick(), 200);
    dev.#ticker.unref();
    return dev;
  }

  /** Virtual time now (ms since epoch). */
  now(): number {
    return this.plane.account.clock.now();
  }

  get speed(): number {
    return this.#speed;
  }

  /** Called after each piece of work that may have changed what the plane shows. */
  onChange(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Delivers one event (an EventBridge event, or the Lambda SNS event of a cost alert). */
  send(event: unknown, from: string): Promise<EventReport> {
    return this.#run(async () => {
      const entry: JournalEntry = { kind: "event", at: this.now(), event, from };
      await this.#journal.append(entry);
      return (await this.#apply(entry)) as EventReport;
    });
  }

  /** An operator's action; its failure (nothing waits, stale, ...) is a result, not a throw. */
  act(action: OperatorAction): Promise<ActionResult> {
    return this.#run(async () => {
      const entry: JournalEntry = { kind: "action", at: this.now(), action };
      await this.#journal.append(entry);
      return (await this.#apply(entry)) as ActionResult;
    });
  }

  /** Moves virtual time forward by `ms`, running each timer that falls due on the way. */
  advance(ms: number): Promise<{ now: number }> {
    return this.#run(async () => {
      const entry: JournalEntry = { kind: "clock", at: this.now() + ms };
      await this.#journal.append(entry);
      await this.#apply(entry);
      this.#lastJournaledClock = entry.at;
      return { now: this.now() };
    });
  }

  /** Runs `read` between two pieces of work, so it never sees one half done. */
  read<T>(read: () => Promise<T>): Promise<T> {
    return this.#run(read, { quiet: true });
  }

  /** Stops the clock, writes where it stands, and closes the simulated account. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#ticker);
    await this.#queue.catch(() => undefined);
    if (this.now() > this.#lastJournaledClock) await this.#journal.append({ kind: "clock", at: this.now() });
    await this.#journal.flushed();
    // Closing aborts the executions still running; the journal brings them back on the next start.
    this.#live = false;
    await this.plane.close();
  }

  #run<T>(work: () => Promise<T>, options: { quiet?: boolean } = {}): Promise<T> {
    const next = this.#queue.then(async () => {
      if (this.#closed) throw new Error("switchyard dev is stopping");
      const out = await work();
      if (!options.quiet) this.#changed();
      return out;
    });
    this.#queue = next.catch(() => undefined);
    return next;
  }

  #changed(): void {
    this.#sample();
    for (const listener of this.#listeners) listener();
  }

  /** Applies one journal entry: first the clock moves to its instant, then the input is taken. */
  async #apply(entry: JournalEntry): Promise<unknown> {
    await this.#advanceTo(entry.at);
    switch (entry.kind) {
      case "event": {
        const report = await this.#deliver(entry.event);
        this.#sample();
        return report;
      }
      case "action": {
        const result = await this.#act(entry.action);
        await this.plane.settle();
        this.#sample();
        return result;
      }
      default:
        return undefined;
    }
  }

  async #act(action: OperatorAction): Promise<ActionResult> {
    const { plane, config } = this;
    const target: OpsTarget = { deps: plane.context, where: "switchyard dev", close: async () => undefined };
    try {
      switch (action.do) {
        case "pause":
        case "resume":
          await setPaused(target, action.do === "pause", action.reason, action.by, config);
          return { ok: true, result: { paused: action.do === "pause" } };
        case "rollback":
          return {
            ok: true,
            result: action.to
              ? await operatorRollbackTo(
                  config,
                  target,
                  action.deployment,
                  action.to,
                  action.reason,
                  action.by,
                )
              : await operatorRollback(config, target, action.deployment, action.reason, action.by),
          };
        case "promote":
          return {
            ok: true,
            result: await operatorPromote(config, target, action.deployment, action.reason, action.by),
          };
        case "approve":
        case "deny":
          return {
            ok: true,
            result: await decideApproval(plane.context, action.anomaly, action.do, action.by),
          };
        case "deploy-approve":
        case "deploy-deny":
          return {
            ok: true,
            result: await decideDeployApproval(
              plane.context,
              action.deployment,
              action.do === "deploy-approve" ? "approve" : "deny",
              action.by,
              action.reason,
            ),
          };
        case "failover-start":
        case "failback-start": {
          const start = action.do === "failover-start" ? startFailover : startFailback;
          const stateMachineArn =
            action.do === "failover-start"
              ? plane.context.failoverStateMachineArn
              : plane.context.failbackStateMachineArn;
          return {
            ok: true,
            result: await start(plane.context, config, {
              runbook: action.runbook,
              stateMachineArn,
              dryRun: action.dryRun,
              by: action.by,
            }),
          };
        }
        case "failover-approve":
        case "failover-deny":
          return {
            ok: true,
            result: await answerApproval(plane.context, action.runbook, {
              approve: action.do === "failover-approve",
              by: action.by,
            }),
          };
      }
    } catch (error) {
      // The same input fails the same way on every replay of the journal: a result to report, not a crash.
      if (error instanceof OpsError || error instanceof Error) return { ok: false, error: error.message };
      throw error;
    }
  }

  /**
   * Moves the clock to `at`, firing every timer due on the way (approval timeouts too: a human
   * who does not answer lets them run out), and letting what each timer woke run until it waits.
   */
  async #advanceTo(at: number): Promise<boolean> {
    const { clock } = this.plane.account;
    await this.plane.settle();
    let fired = false;
    for (;;) {
      const next = clock.pending({ includeHumanWaits: true })[0];
      if (!next || next.at > at) break;
      clock.advance({ includeHumanWaits: true });
      fired = true;
      await this.plane.settle();
      this.#sample();
    }
    if (at > clock.now()) clock.tick(at - clock.now());
    await this.plane.settle();
    return fired;
  }

  /** Wall-clock time moves virtual time at `speed`; the journal learns where it stands now and then. */
  async #tick(): Promise<void> {
    if (this.#closed || this.#ticking) return;
    const wall = Date.now();
    const elapsed = wall - this.#lastWall;
    this.#lastWall = wall;
    if (this.#speed <= 0) return;
    const step = Math.round(elapsed * this.#speed);
    this.#ticking = true;
    await this.#run(
      async () => {
        const at = this.now() + step;
        const fired = await this.#advanceTo(at);
        // Inputs carry their instant, so the journal needs the clock only to resume where it stood.
        if (fired || wall - this.#lastClockWrite > 10_000) {
          await this.#journal.append({ kind: "clock", at });
          this.#lastJournaledClock = at;
          this.#lastClockWrite = wall;
        }
        if (fired) this.#changed();
      },
      { quiet: true },
    )
      .catch(() => undefined)
      .finally(() => {
        this.#ticking = false;
      });
  }

  /** Adds a point to each deployment's series whose alias routes differently from its last point. */
  #sample(): void {
    for (const d of this.config.deployments) {
      const state = this.plane.account.lambda.aliasState(d.function.split(":").at(-1) ?? d.function, d.alias);
      if (!state) continue;
      const points = this.series.get(d.name) ?? [];
      const last = points.at(-1);
      if (last && last.version === state.version && sameWeights(last.weights, state.weights)) continue;
      points.push({ at: this.now(), version: state.version, weights: state.weights });
      this.series.set(d.name, points);
    }
  }
}

function sameWeights(a: Record<string, number>, b: Record<string, number>): boolean {
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((k) => a[k] === b[k]);
}

/** Which config a journal was recorded with: replaying it on another would rebuild another world. */
export function configFingerprint(config: Config): string {
  return createHash("sha256").update(JSON.stringify(config)).digest("hex").slice(0, 16);
}
