// WAL archiving: failing when the last failure is newer than the last
// success, or when segments wait to be archived (.ready files pile up in
// pg_wal/archive_status, and pg_wal grows until the disk is full).

import { grade, result, STATUS_LEVEL, type Check } from '../types.ts';

const MiB = 2 ** 20;

export const READY_WARN = 8;
export const READY_FAIL = 64;

export const walArchiver: Check = async (ctx) => {
  const pool = ctx.db.pool('nexus_health');
  const { rows } = await pool.query<{ mode: string; archived: number; failed: number; last_archived: Date | null; last_failed: Date | null; last_wal: string | null; failed_wal: string | null }>(
    `SELECT current_setting('archive_mode') AS mode, archived_count::int AS archived, failed_count::int AS failed,
            last_archived_time AS last_archived, last_failed_time AS last_failed,
            last_archived_wal AS last_wal, last_failed_wal AS failed_wal
       FROM pg_stat_archiver`,
  );
  const a = rows[0]!;
  if (a.mode === 'off') return result('wal_archiver', 'warn', 'WAL archiving is off: no point-in-time recovery (run `nexus backup wal-setup`)');
  // pg_monitor may list archive_status (PostgreSQL 12+).
  const ready = (await pool.query<{ n: number }>("SELECT count(*)::int AS n FROM pg_ls_archive_statusdir() WHERE name LIKE '%.ready'")).rows[0]!.n;
  const failing = a.last_failed !== null && (a.last_archived === null || a.last_failed > a.last_archived);
  if (failing) {
    return result('wal_archiver', 'fail', `WAL archiving is failing since ${a.last_failed!.toISOString()} (segment ${a.failed_wal}); ${ready} segment(s) waiting. See the PostgreSQL log; is the backup target full or unwritable?`, ready);
  }
  const status = grade(ready, READY_WARN, READY_FAIL);
  const last = a.last_archived ? `last ${a.last_wal} at ${a.last_archived.toISOString()}` : 'nothing archived yet';
  return result('wal_archiver', status, `${ready} segment(s) waiting to be archived; ${last}`, ready);
};

export const replicationLag: Check = async (ctx) => {
  const { rows } = await ctx.db.pool('nexus_health').query<{ name: string; lag: number | null; bytes: string | null; state: string }>(
    `SELECT application_name AS name, state, extract(epoch FROM replay_lag)::float8 AS lag,
            pg_wal_lsn_diff(pg_current_wal_lsn(), replay_lsn)::text AS bytes
       FROM pg_stat_replication`,
  );
  if (rows.length === 0) return result('replication', 'ok', 'no replica connected');
  // Bytes behind catch a replica whose replay stopped (replay_lag then stops being measured).
  const behind = (r: (typeof rows)[number]) => Number(r.bytes ?? 0);
  const worst = rows.reduce((a, b) => (behind(b) > behind(a) ? b : a));
  const lag = Math.max(...rows.map((r) => r.lag ?? 0));
  const level = Math.max(STATUS_LEVEL[grade(lag, 60, 600)], STATUS_LEVEL[grade(behind(worst), 16 * MiB, 1024 * MiB)]);
  const status = rows.some((r) => r.state !== 'streaming') ? 'warn' : (['ok', 'warn', 'fail'] as const)[level]!;
  return result('replication', status, `${rows.length} replica(s); up to ${lag.toFixed(1)} s behind; ${worst.name} ${behind(worst)} bytes behind, state ${worst.state}`, behind(worst));
};
