// When each backup task is due. Driven by the recorded runs, not a clock
// tick: a server that was off over night catches up when it starts, and a
// failing task is retried hourly rather than in a tight loop.

import type { LastRun, RunKind } from './record.ts';

export type Task = 'dump' | 'base' | 'restore_test' | 'drill' | 'clarity';

export interface Intervals {
  dumpHours: number;
  baseDays: number;
  restoreTestDays: number;
}

const HOUR = 3_600_000;
export const RETRY_AFTER_FAILURE_MS = HOUR;

/** `clarity`: Clarity keeps state on this machine (its daily backup is due then). */
export function dueTasks(now: Date, iv: Intervals, latest: Map<RunKind, LastRun>, good: Map<RunKind, LastRun>, archiving: boolean, clarity = false): Task[] {
  const every: Record<Task, number> = {
    dump: iv.dumpHours * HOUR,
    base: iv.baseDays * 24 * HOUR,
    restore_test: iv.restoreTestDays * 24 * HOUR,
    drill: iv.restoreTestDays * 24 * HOUR,
    clarity: 24 * HOUR,
  };
  const order: Task[] = [...(archiving ? (['dump', 'base', 'restore_test', 'drill'] as const) : (['dump', 'restore_test'] as const)), ...(clarity ? (['clarity'] as const) : [])];
  return order.filter((task) => {
    const ok = good.get(task)?.finishedAt?.getTime() ?? 0;
    const last = latest.get(task);
    if (now.getTime() - ok < every[task]) return false;
    if (last?.status === 'failed' && now.getTime() - (last.finishedAt?.getTime() ?? 0) < RETRY_AFTER_FAILURE_MS) return false;
    return true;
  });
}
