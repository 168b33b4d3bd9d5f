// Capped exponential backoff with full jitter (AWS architecture blog's
// "full jitter"): delay = random(0, min(cap, base · 2^attempt)). Spreads a
// fleet that lost the server at the same moment instead of having it return
// in lockstep.

export interface RetryPolicy {
  /** Attempts in total for one request (1 = no retry). */
  attempts: number;
  baseMs: number;
  capMs: number;
  /** Injected for tests; defaults to setTimeout. */
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
}

export const DEFAULT_RETRY: RetryPolicy = { attempts: 8, baseMs: 250, capMs: 30_000 };

export function backoffDelay(p: RetryPolicy, attempt: number): number {
  const ceiling = Math.min(p.capMs, p.baseMs * 2 ** attempt);
  return Math.floor((p.random ?? Math.random)() * ceiling);
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
