/**
 * Virtual time for the simulated account. Executions never sleep in real time: a Wait state,
 * a task timeout or a scheduled state change registers a timer here, and the runtime decides
 * when time moves (`advance`). Together with `Activity` this gives "run until everything
 * waits, then move the clock to the next timer", which makes replays deterministic.
 */
export interface Timer {
  readonly at: number;
  readonly label: string;
  /** A timer that only bounds a wait for a human (approval timeout) is not run out by `settle`. */
  readonly humanWait: boolean;
  readonly fire: () => void;
}

export class VirtualClock {
  #now: number;
  /** The instant `#iso` formats (NaN: none yet). */
  #isoAt = Number.NaN;
  #iso = "";
  #timers: Timer[] = [];
  #activity: Activity;

  constructor(activity: Activity, start = Date.parse("2026-11-25T09:00:00Z")) {
    this.#activity = activity;
    this.#now = start;
  }

  now(): number {
    return this.#now;
  }

  date(): Date {
    return new Date(this.#now);
  }

  iso(): string {
    // Every recorded call stamps its time: formatted once per instant, not once per call.
    if (this.#isoAt !== this.#now) {
      this.#isoAt = this.#now;
      this.#iso = new Date(this.#now).toISOString();
    }
    return this.#iso;
  }

  /**
   * Sleeps `ms` of virtual time. The sleeper's hold on the activity is released while it
   * sleeps and taken again when it wakes (or is aborted).
   */
  sleep(
    ms: number,
    options: { label: string; signal?: AbortSignal; humanWait?: boolean; hold?: Hold },
  ): Promise<void> {
    const hold = options.hold ?? this.#activity;
    return new Promise((resolve, reject) => {
      const timer: Timer = {
        at: this.#now + Math.max(0, ms),
        label: options.label,
        humanWait: options.humanWait ?? false,
        fire: () => {
          hold.begin();
          resolve();
        },
      };
      this.#insert(timer);
      hold.end();
      options.signal?.addEventListener(
        "abort",
        () => {
          if (this.#remove(timer)) {
            hold.begin();
            reject(options.signal?.reason ?? new Error("aborted"));
          }
        },
        { once: true },
      );
    });
  }

  /** Schedules `fn` at virtual `ms` from now (a state that changes by itself, like a scan finishing). */
  schedule(ms: number, label: string, fn: () => void): void {
    this.#insert({
      at: this.#now + ms,
      label,
      humanWait: false,
      fire: () => {
        this.#activity.begin();
        try {
          fn();
        } finally {
          this.#activity.end();
        }
      },
    });
  }

  pending(options: { includeHumanWaits?: boolean } = {}): readonly Timer[] {
    return this.#timers.filter((t) => options.includeHumanWaits || !t.humanWait);
  }

  /** Moves time to the earliest eligible timer and fires every timer due then. False when none is eligible. */
  advance(options: { includeHumanWaits?: boolean } = {}): boolean {
    const next = this.pending(options)[0];
    if (!next) return false;
    this.#now = Math.max(this.#now, next.at);
    const due = this.#timers.filter((t) => t.at <= this.#now && (options.includeHumanWaits || !t.humanWait));
    this.#timers = this.#timers.filter((t) => !due.includes(t));
    for (const timer of due) timer.fire();
    return true;
  }

  /** Moves time forward by `ms`, firing every timer that falls due on the way. */
  tick(ms: number): void {
    const target = this.#now + ms;
    for (;;) {
      const next = this.#timers[0];
      if (!next || next.at > target) break;
      this.#now = Math.max(this.#now, next.at);
      this.#timers.shift();
      next.fire();
    }
    this.#now = target;
  }

  #insert(timer: Timer): void {
    const index = this.#timers.findIndex((t) => t.at > timer.at);
    if (index === -1) this.#timers.push(timer);
    else this.#timers.splice(index, 0, timer);
  }

  #remove(timer: Timer): boolean {
    const index = this.#timers.indexOf(timer);
    if (index === -1) return false;
    this.#timers.splice(index, 1);
    return true;
  }
}

/** Something that holds the activity while it runs: the whole activity, or one execution's share. */
export interface Hold {
  begin(): void;
  end(): void;
}

/**
 * One execution's share of the activity: at most one unit, released while it waits and
 * dropped for good when it finishes, so a stray task that outlives a stopped execution
 * cannot unbalance the count.
 */
export class ExecutionHold implements Hold {
  #holding = false;
  #finished = false;
  readonly #activity: Activity;

  constructor(activity: Activity) {
    this.#activity = activity;
  }

  begin(): void {
    if (this.#finished || this.#holding) return;
    this.#holding = true;
    this.#activity.begin();
  }

  end(): void {
    if (!this.#holding) return;
    this.#holding = false;
    this.#activity.end();
  }

  finish(): void {
    this.end();
    this.#finished = true;
  }
}

/**
 * Counts work in flight (handler invocations, executions between waits). `idle()` resolves
 * once nothing runs: every execution has ended or waits on a timer or a task token.
 */
export class Activity {
  #running = 0;
  #waiters: (() => void)[] = [];

  begin(): void {
    this.#running++;
  }

  end(): void {
    this.#running--;
    if (this.#running < 0) throw new Error("Activity.end() without begin(): a bug in the simulated account");
    if (this.#running === 0) this.#flush();
  }

  get running(): number {
    return this.#running;
  }

  async track<T>(work: () => Promise<T>): Promise<T> {
    this.begin();
    try {
      return await work();
    } finally {
      this.end();
    }
  }

  /** Resolves when nothing has been running for a full turn of the event loop. */
  async idle(): Promise<void> {
    for (;;) {
      if (this.#running > 0) await new Promise<void>((resolve) => this.#waiters.push(resolve));
      // Work that ends often starts more work in a later microtask or macrotask: look again.
      await new Promise((resolve) => setImmediate(resolve));
      if (this.#running === 0) return;
    }
  }

  #flush(): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const w of waiters) w();
  }
}
