// Are the backups recent? The age of the last good dump, base backup and
// restore test, against the intervals they should run at (plus slack for a
// run that takes a while). A base backup is only expected when archiving is on.
//
// A fresh install has no backups yet, and none is late until its first run
// was due: until then (install time + interval + slack: 26 h for the daily
// dump) a missing backup warns instead of failing. The install time is when
// the database's first migration was applied; a server restored from a dump
// keeps its old install time, so there a missing backup fails at once.

import { lastRuns, type RunKind } from '../../backup/record.ts';
import { hasClarity } from '../../backup/clarity.ts';
import { result, type CheckContext, type CheckResult } from '../types.ts';

const HOUR = 3_600_000;
/** A run may take a while, or start a little late: slack before "late". */
export const SLACK_HOURS = 2;

function ageCheck(ctx: CheckContext, name: string, what: string, finished: Date | null | undefined, everyHours: number, installedAt: Date | undefined): CheckResult {
  if (!finished) {
    const due = installedAt && new Date(installedAt.getTime() + (everyHours + SLACK_HOURS) * HOUR);
    if (due && ctx.now < due) {
      const since = (ctx.now.getTime() - installedAt.getTime()) / HOUR;
      return result(name, 'warn', `no good ${what} yet: installed ${since.toFixed(1)} h ago, the first is due by ${due.toISOString()}`);
    }
    return result(name, 'fail', `no good ${what} recorded yet`);
  }
  const hours = (ctx.now.getTime() - finished.getTime()) / HOUR;
  const status = hours > 2 * everyHours + SLACK_HOURS ? 'fail' : hours > everyHours + SLACK_HOURS ? 'warn' : 'ok';
  return result(name, status, `last good ${what} ${hours.toFixed(1)} h ago (expected every ${everyHours} h)`, hours * 3600);
}

/** When the platform was installed: its first migration (undefined if that cannot be read). */
export async function installedAt(ctx: CheckContext): Promise<Date | undefined> {
  const { rows } = await ctx.db.pool('nexus_health').query<{ at: Date | null }>('SELECT min(applied_at) AS at FROM nexus.schema_migrations');
  return rows[0]?.at ?? undefined;
}

export async function backupAges(ctx: CheckContext): Promise<CheckResult[]> {
  const { good } = await lastRuns(ctx.db, 'nexus_health');
  const at = (k: RunKind) => good.get(k)?.finishedAt;
  const s = ctx.settings;
  const since = await installedAt(ctx);
  const out = [
    ageCheck(ctx, 'backup_dump', 'dump', at('dump'), s.dumpIntervalHours, since),
    ageCheck(ctx, 'backup_restore_test', 'restore test', at('restore_test'), s.restoreTestIntervalDays * 24, since),
  ];
  const { rows } = await ctx.db.pool('nexus_health').query<{ mode: string }>("SELECT current_setting('archive_mode') AS mode");
  if (hasClarity(s.home)) out.push(ageCheck(ctx, 'backup_clarity', "Clarity state backup", at('clarity'), 24, since));
  if (rows[0]?.mode !== 'off') {
    out.push(ageCheck(ctx, 'backup_base', 'base backup', at('base'), s.baseBackupIntervalDays * 24, since));
    out.push(ageCheck(ctx, 'backup_drill', 'point-in-time drill', at('drill'), s.restoreTestIntervalDays * 24, since));
  }
  // The file store's copy (src/backup/files.ts) runs hourly.
  out.push(ageCheck(ctx, 'backup_files', 'file store backup', at('files'), 1, since));
  return out;
}
