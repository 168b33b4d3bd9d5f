// Are the backups recent? The age of the last good dump, base backup and
// restore test, against the intervals they should run at (plus slack for a
// run that takes a while). A base backup is only expected when archiving is on.

import { lastRuns, type RunKind } from '../../backup/record.ts';
import { hasClarity } from '../../backup/clarity.ts';
import { result, type CheckContext, type CheckResult } from '../types.ts';

const HOUR = 3_600_000;

function ageCheck(ctx: CheckContext, name: string, what: string, finished: Date | null | undefined, everyHours: number): CheckResult {
  if (!finished) return result(name, 'fail', `no good ${what} recorded yet`);
  const hours = (ctx.now.getTime() - finished.getTime()) / HOUR;
  const status = hours > 2 * everyHours + 2 ? 'fail' : hours > everyHours + 2 ? 'warn' : 'ok';
  return result(name, status, `last good ${what} ${hours.toFixed(1)} h ago (expected every ${everyHours} h)`, hours * 3600);
}

export async function backupAges(ctx: CheckContext): Promise<CheckResult[]> {
  const { good } = await lastRuns(ctx.db, 'nexus_health');
  const at = (k: RunKind) => good.get(k)?.finishedAt;
  const s = ctx.settings;
  const out = [
    ageCheck(ctx, 'backup_dump', 'dump', at('dump'), s.dumpIntervalHours),
    ageCheck(ctx, 'backup_restore_test', 'restore test', at('restore_test'), s.restoreTestIntervalDays * 24),
  ];
  const { rows } = await ctx.db.pool('nexus_health').query<{ mode: string }>("SELECT current_setting('archive_mode') AS mode");
  if (hasClarity(s.home)) out.push(ageCheck(ctx, 'backup_clarity', "Clarity state backup", at('clarity'), 24));
  if (rows[0]?.mode !== 'off') {
    out.push(ageCheck(ctx, 'backup_base', 'base backup', at('base'), s.baseBackupIntervalDays * 24));
    out.push(ageCheck(ctx, 'backup_drill', 'point-in-time drill', at('drill'), s.restoreTestIntervalDays * 24));
  }
  return out;
}
