// Free space where the platform writes: the state directory (database,
// files) and the backup target. Besides the level, the trend: the fall in
// free bytes over the last day, projected, warns a week before the disk
// fills, long before a percentage would.

import { existsSync, statfsSync } from 'node:fs';
import path from 'node:path';
import { backupPaths } from '../../backup/paths.ts';
import { result, type CheckContext, type CheckResult } from '../types.ts';

const DAY = 86_400_000;

/** Days until free bytes reach zero at the rate seen since the oldest sample; undefined if not falling. */
export function daysUntilFull(samples: Array<{ at: Date; value: number }>, now: Date, freeNow: number): number | undefined {
  const first = samples[0];
  if (!first || now.getTime() - first.at.getTime() < DAY / 24) return undefined; // under an hour of history says little
  const perDay = ((first.value - freeNow) / (now.getTime() - first.at.getTime())) * DAY;
  return perDay > 0 ? freeNow / perDay : undefined;
}

/** A folder not created yet (no backup so far) lives on its nearest existing parent's disk. */
function existing(dir: string): string {
  let d = path.resolve(dir);
  while (!existsSync(d) && path.dirname(d) !== d) d = path.dirname(d);
  return d;
}

async function diskCheck(ctx: CheckContext, name: string, dir: string): Promise<CheckResult> {
  let st;
  try {
    st = statfsSync(existing(dir));
  } catch (err) {
    return result(name, 'fail', `cannot read free space of ${dir}: ${(err as Error).message}`);
  }
  const free = st.bavail * st.bsize;
  const pct = (100 * st.bavail) / Math.max(1, st.blocks);
  const days = daysUntilFull(await ctx.history(name, new Date(ctx.now.getTime() - DAY)), ctx.now, free);
  const gib = (free / 2 ** 30).toFixed(1);
  const trend = days === undefined ? 'not falling' : `full in ${days.toFixed(1)} days at the last day's rate`;
  const status = pct < 5 || (days !== undefined && days < 1) ? 'fail' : pct < 15 || (days !== undefined && days < 7) ? 'warn' : 'ok';
  return result(name, status, `${dir}: ${gib} GiB free (${pct.toFixed(0)}%), ${trend}`, free);
}

export async function diskFree(ctx: CheckContext): Promise<CheckResult[]> {
  return [await diskCheck(ctx, 'disk_home', ctx.settings.home), await diskCheck(ctx, 'disk_backup', backupPaths(ctx.settings).root)];
}
