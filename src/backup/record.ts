// Every backup run leaves a row in nexus.backup_run (for mart_ops and
// Clarity), and every failure an alert event that nexus-health delivers.

import type { DbAccess } from '../db/connection.ts';
import { toNexusError } from '../core/errors.ts';

export type RunKind = 'dump' | 'base' | 'restore_test' | 'drill' | 'retention' | 'verify' | 'offsite' | 'config' | 'clarity' | 'files' | 'files_verify' | 'files_restore';

export interface RunOutcome {
  artefact?: string;
  sizeBytes?: number;
  sha256?: string;
  detail?: Record<string, unknown>;
}

export async function raiseAlert(db: DbAccess, subject: string, severity: 'ok' | 'warn' | 'fail', message: string): Promise<void> {
  await db.pool('nexus_backup').query('INSERT INTO nexus.alert_event (source, subject, severity, message) VALUES ($1, $2, $3, $4)', [
    'backup',
    subject,
    severity,
    message,
  ]);
}

/**
 * Runs `fn` as one recorded run: a 'running' row first (so a crash leaves a
 * trace), then ok with its outcome, or failed with the error and an alert.
 */
export async function recorded<T extends RunOutcome>(db: DbAccess, kind: RunKind, fn: () => Promise<T>): Promise<T & { runId: number }> {
  const pool = db.pool('nexus_backup');
  const { rows } = await pool.query<{ run_id: string }>('INSERT INTO nexus.backup_run (kind) VALUES ($1) RETURNING run_id', [kind]);
  const runId = Number(rows[0]!.run_id);
  try {
    const out = await fn();
    await pool.query(
      `UPDATE nexus.backup_run SET status = 'ok', finished_at = now(), artefact = $2, size_bytes = $3, sha256 = $4, detail = $5 WHERE run_id = $1`,
      [runId, out.artefact ?? null, out.sizeBytes ?? null, out.sha256 ?? null, JSON.stringify(out.detail ?? {})],
    );
    return { ...out, runId };
  } catch (err) {
    const e = toNexusError(err);
    const message = e.code === 'internal_error' && err instanceof Error ? err.message : e.message;
    await pool
      // The error's extra members (e.g. which data tests failed) stay with the run.
      .query(`UPDATE nexus.backup_run SET status = 'failed', finished_at = now(), error = $2, detail = $3 WHERE run_id = $1`, [runId, message, JSON.stringify({ ...e.extra, code: e.code })])
      .catch(() => undefined);
    await raiseAlert(db, `backup ${kind}`, 'fail', `backup ${kind} failed: ${message}`).catch(() => undefined);
    throw err;
  }
}

export interface LastRun {
  kind: RunKind;
  status: 'ok' | 'failed' | 'running';
  finishedAt: Date | null;
  startedAt: Date;
  artefact: string | null;
}

/** The latest finished run of each kind and the latest good one. */
export async function lastRuns(db: DbAccess, login: 'nexus_backup' | 'nexus_health' = 'nexus_backup'): Promise<{ latest: Map<RunKind, LastRun>; good: Map<RunKind, LastRun> }> {
  const pool = db.pool(login);
  const toMap = (rows: Array<Record<string, unknown>>) =>
    new Map(rows.map((r) => [r.kind as RunKind, { kind: r.kind, status: r.status, startedAt: r.started_at, finishedAt: r.finished_at, artefact: r.artefact } as LastRun]));
  const latest = await pool.query(
    `SELECT DISTINCT ON (kind) kind, status, started_at, finished_at, artefact FROM nexus.backup_run
      WHERE status <> 'running' ORDER BY kind, finished_at DESC`,
  );
  const good = await pool.query(
    `SELECT DISTINCT ON (kind) kind, status, started_at, finished_at, artefact FROM nexus.backup_run
      WHERE status = 'ok' ORDER BY kind, finished_at DESC`,
  );
  return { latest: toMap(latest.rows), good: toMap(good.rows) };
}
