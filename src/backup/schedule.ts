// When each backup task is due. Driven by the recorded runs, not a clock
// tick: a server that was off over night catches up when it starts, and a
// failing task is retried hourly rather than in a tight loop.

import type { LastRun, RunKind } from './record.ts';

export type Task = 'dump' | 'base' | 'restore_test' | 'drill' | 'clarity' | 'files' | 'files_verify';

export interface Intervals {
  dumpHours: number;
  baseDays: number;
  restoreTestDays: number;
}

const HOUR = 3_600_000;
export const RETRY_AFTER_FAILURE_MS = HOUR;

/**
 * `clarity`: Clarity keeps state on this machine (its daily backup is due then).
 * `files`: back up the file store (src/backup/files.ts): hourly, and after
 * each new dump, so every file a dump refers to is soon in the backup too;
 * and `files_verify` (every backed-up file re-hashed) as often as the
 * restore test, once there is a good `files` run to check.
 */
export function dueTasks(now: Date, iv: Intervals, latest: Map<RunKind, LastRun>, good: Map<RunKind, LastRun>, archiving: boolean, clarity = false, files = false): Task[] {
  const every: Record<Task, number> = {
    dump: iv.dumpHours * HOUR,
    base: iv.baseDays * 24 * HOUR,
    restore_test: iv.restoreTestDays * 24 * HOUR,
    drill: iv.restoreTestDays * 24 * HOUR,
    clarity: 24 * HOUR,
    files: HOUR,
    files_verify: iv.restoreTestDays * 24 * HOUR,
  };
  const order: Task[] = [...(archiving ? (['dump', 'base', 'restore_test', 'drill'] as const) : (['dump', 'restore_test'] as const)), ...(clarity ? (['clarity'] as const) : [])];
  if (files) order.splice(1, 0, 'files', ...(good.has('files') ? (['files_verify'] as const) : []));
  const dumpSinceFiles = (good.get('dump')?.startedAt.getTime() ?? 0) > (good.get('files')?.startedAt.getTime() ?? 0);
  return order.filter((task) => {
    const ok = good.get(task)?.finishedAt?.getTime() ?? 0;
    const last = latest.get(task);
    if (now.getTime() - ok < every[task] && !(task === 'files' && dumpSinceFiles)) return false;
    if (last?.status === 'failed' && now.getTime() - (last.finishedAt?.getTime() ?? 0) < RETRY_AFTER_FAILURE_MS) return false;
    return true;
  });
}
