// A cross-process lock on files several nexus processes change: `nexus device
// add` and the running Guardian both read-modify-write registry.json; two
// services starting at once must not both create the TLS authority. An O_EXCL lock file is the portable
// primitive; a lock left by a crashed process (dead pid on this host, or
// older than any real critical section) is broken so the gate never wedges.

import { closeSync, linkSync, openSync, readFileSync, renameSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { NexusError } from './errors.ts';

export interface LockOptions {
  /** Give up after this long (ms). */
  timeoutMs?: number;
  /** A lock older than this is abandoned whoever holds it (critical sections take milliseconds). */
  staleMs?: number;
}

interface Holder {
  pid: number;
  host: string;
  token: string;
}

// Within one process, callers queue here first, so the file is contended only
// between processes and nobody polls against a sibling request.
const inProcess = new Map<string, Promise<unknown>>();

export async function withLock<T>(lockFile: string, fn: () => Promise<T> | T, opts: LockOptions = {}): Promise<T> {
  const previous = inProcess.get(lockFile) ?? Promise.resolve();
  const run = previous.catch(() => undefined).then(async () => {
    const token = await acquire(lockFile, opts.timeoutMs ?? 10_000, opts.staleMs ?? 30_000);
    try {
      return await fn();
    } finally {
      release(lockFile, token);
    }
  });
  inProcess.set(lockFile, run);
  try {
    return await run;
  } finally {
    if (inProcess.get(lockFile) === run) inProcess.delete(lockFile);
  }
}

async function acquire(lockFile: string, timeoutMs: number, staleMs: number): Promise<string> {
  const token = randomBytes(12).toString('hex');
  const body = JSON.stringify({ pid: process.pid, host: hostname(), token } satisfies Holder);
  const deadline = Date.now() + timeoutMs;
  for (let attempt = 0; ; attempt++) {
    try {
      const fd = openSync(lockFile, 'wx', 0o600);
      try {
        writeSync(fd, body);
      } finally {
        closeSync(fd);
      }
      return token;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    breakIfStale(lockFile, staleMs);
    if (Date.now() > deadline) {
      throw new NexusError('store_locked', `${lockFile} is held by another nexus process; try again.`, {
        status: 503,
      });
    }
    await sleep(Math.min(5 + attempt * 5, 50) + Math.random() * 10);
  }
}

function readHolder(lockFile: string): { holder: Holder | undefined; ageMs: number } | undefined {
  try {
    const ageMs = Date.now() - statSync(lockFile).mtimeMs;
    let holder: Holder | undefined;
    try {
      holder = JSON.parse(readFileSync(lockFile, 'utf8')) as Holder;
    } catch {
      holder = undefined; // a holder between open and write: judged by age alone
    }
    return { holder, ageMs };
  } catch {
    return undefined; // released meanwhile
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function breakIfStale(lockFile: string, staleMs: number): void {
  const seen = readHolder(lockFile);
  if (!seen) return;
  const deadHere = seen.holder !== undefined && seen.holder.host === hostname() && !alive(seen.holder.pid);
  if (!deadHere && seen.ageMs < staleMs) return;
  // Rename first: of several processes breaking the same stale lock, exactly
  // one wins the rename, and it removes only the lock it judged.
  const aside = `${lockFile}.stale.${randomBytes(6).toString('hex')}`;
  try {
    renameSync(lockFile, aside);
  } catch {
    return;
  }
  // Between our read and our rename another process may have broken the same
  // lock and taken a fresh one: put a lock that is not the one we judged back.
  const moved = readHolder(aside);
  if (seen.holder && moved?.holder && moved.holder.token !== seen.holder.token) {
    try {
      linkSync(aside, lockFile);
    } catch {
      // A third process holds the lock now; the displaced holder's release is a no-op.
    }
  }
  unlinkSync(aside);
}

function release(lockFile: string, token: string): void {
  try {
    const holder = JSON.parse(readFileSync(lockFile, 'utf8')) as Holder;
    if (holder.token === token) unlinkSync(lockFile);
  } catch {
    // Already broken as stale by someone else: nothing of ours to remove.
  }
}
