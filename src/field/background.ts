// Background sync: when to run the sync engine, for an app that should sync
// whenever the server is reachable without anyone pressing a button
// (SYNC_PROTOCOL §6: "retries on a timer and when the VPN comes back, not
// only on the next local write"). Environment-agnostic: the caller passes the
// run function, the online signal and the clock, so the web app (window's
// `online` event), a Node process and tests drive the same scheduler.
//
// Rules: a run at start; one on every `online` signal; then every
// `sync.interval_seconds` (read before each wait, so a parameter change takes
// effect on the next wait). Runs never overlap: a trigger during a run is
// remembered and runs once right after. A failed run (network, 5xx — the
// engine has already retried inside it) is retried after a capped exponential
// backoff with full jitter (the engine's own policy), never later than the
// interval. While the device reports itself offline no run starts: the
// `online` signal starts the next one. Nothing here awaits in the caller's
// path: trigger() returns at once.

import { backoffDelay, type RetryPolicy } from './backoff.ts';

export interface SchedulerTimers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export interface BackgroundOptions {
  /** One sync (push, pull, parameters). Its rejection counts as a failed run. */
  run: () => Promise<unknown>;
  /** The current interval in seconds (sync.interval_seconds); read before every wait. */
  intervalSeconds: () => number;
  /** False while the platform knows it has no network (navigator.onLine); default always true. */
  isOnline?: () => boolean;
  /** Subscribes to "the network came back"; returns the unsubscribe function. */
  onOnline?: (cb: () => void) => () => void;
  /** Backoff after failed runs (baseMs, capMs; attempts unused). Default 2 s base, capped by the interval. */
  retry?: RetryPolicy;
  timers?: SchedulerTimers;
  /** Told after every run (the sync panel listens). */
  onRun?: (r: RunOutcome) => void;
}

export interface RunOutcome {
  ok: boolean;
  reason: TriggerReason;
  error?: unknown;
  startedAt: number;
  endedAt: number;
  /** Delay until the next scheduled run (ms). */
  nextInMs: number;
}

export type TriggerReason = 'start' | 'online' | 'timer' | 'retry' | 'manual' | 'edit';

const DEFAULT_BACKOFF: RetryPolicy = { attempts: Infinity, baseMs: 2_000, capMs: 5 * 60_000 };
const defaultTimers: SchedulerTimers = {
  setTimeout: (fn, ms) => globalThis.setTimeout(fn, ms),
  clearTimeout: (h) => globalThis.clearTimeout(h as ReturnType<typeof globalThis.setTimeout>),
};

export class BackgroundSync {
  private readonly o: BackgroundOptions;
  private readonly timers: SchedulerTimers;
  private timer: unknown;
  private running: Promise<void> | null = null;
  private again: TriggerReason | null = null;
  private unsubscribe: (() => void) | undefined;
  private stopped = true;
  /** Consecutive failed runs (0 after a success). */
  failures = 0;
  lastOutcome: RunOutcome | null = null;

  constructor(o: BackgroundOptions) {
    this.o = o;
    this.timers = o.timers ?? defaultTimers;
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.unsubscribe = this.o.onOnline?.(() => this.trigger('online'));
    this.trigger('start');
  }

  stop(): Promise<void> {
    this.stopped = true;
    this.unsubscribe?.();
    this.timers.clearTimeout(this.timer);
    return this.running ?? Promise.resolve();
  }

  get busy(): boolean {
    return this.running !== null;
  }

  /** Asks for a run now; returns at once. During a run, one more run follows it. */
  trigger(reason: TriggerReason): void {
    if (this.stopped) return;
    if (this.running) {
      this.again ??= reason;
      return;
    }
    if (!(this.o.isOnline?.() ?? true)) {
      // Offline: wait for the online signal, but look again after an interval in case it never fires.
      this.schedule(this.intervalMs());
      return;
    }
    this.timers.clearTimeout(this.timer);
    this.running = this.runOnce(reason).finally(() => {
      this.running = null;
      const next = this.again;
      this.again = null;
      if (next && !this.stopped) this.trigger(next);
    });
  }

  /** Waits for the current run (if any) to end: for tests and orderly shutdown. */
  idle(): Promise<void> {
    return this.running ?? Promise.resolve();
  }

  private intervalMs(): number {
    const s = this.o.intervalSeconds();
    return (Number.isFinite(s) && s > 0 ? s : 300) * 1000;
  }

  private schedule(ms: number): void {
    this.timers.clearTimeout(this.timer);
    if (this.stopped) return;
    this.timer = this.timers.setTimeout(() => this.trigger(this.failures ? 'retry' : 'timer'), ms);
  }

  private async runOnce(reason: TriggerReason): Promise<void> {
    const startedAt = Date.now();
    let ok = true;
    let error: unknown;
    try {
      await this.o.run();
      this.failures = 0;
    } catch (err) {
      ok = false;
      error = err;
      this.failures++;
    }
    const interval = this.intervalMs();
    const policy = this.o.retry ?? DEFAULT_BACKOFF;
    const nextInMs = ok ? interval : Math.max(policy.baseMs / 2, Math.min(interval, backoffDelay({ ...policy, capMs: Math.min(policy.capMs, interval) }, this.failures - 1)));
    this.schedule(nextInMs);
    this.lastOutcome = { ok, reason, ...(ok ? {} : { error }), startedAt, endedAt: Date.now(), nextInMs };
    try {
      this.o.onRun?.(this.lastOutcome);
    } catch {
      // A listener's bug must not stop the schedule.
    }
  }
}
