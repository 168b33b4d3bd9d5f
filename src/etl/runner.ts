// Runs ETL models in dependency order, each in its own transaction as
// nexus_etl: take the model's advisory lock (two workers never run the same
// model at once), read its watermark, compute the window's upper bound (the
// snapshot's xmin), run the SQL, run the model's data tests, move the
// watermark, record the run, commit. A crash anywhere rolls all of it back,
// so a rerun does exactly the same work: the warehouse ends up identical.

import type pg from 'pg';
import type { DbAccess } from '../db/connection.ts';
import type { Logger } from '../core/log.ts';
import { quoteIdent } from '../db/ident.ts';
import { loadDataTests, loadModels, downstream, type DataTest, type Layer, type Model } from './models.ts';

export interface RunOptions {
  /** Only these models (default: all incremental models of `layers`). */
  models?: string[];
  layers?: Layer[];
  /** Empty the selected models' targets and everything downstream, then rebuild. */
  fullRefresh?: boolean;
  worker?: string;
  log?: Logger;
  /** Filled by runModels. */
  sourceColumns?: Map<string, string>;
}

export interface ModelResult {
  model: string;
  status: 'ok' | 'failed' | 'test_failed' | 'skipped';
  rows: number;
  ms: number;
  error?: string;
  testFailures?: Array<{ test: string; severity: string; count: number; sample: unknown[] }>;
  /** Source rows at or beyond the window's end remain: another run is due. */
  pending?: boolean;
}

const LOCK_NAMESPACE = 0x4e58; // "NX": advisory lock class for ETL models

function qualified(target: string): string {
  return target.split('.').map(quoteIdent).join('.');
}

function rowsAffected(res: pg.QueryResult | pg.QueryResult[]): number {
  const all = Array.isArray(res) ? res : [res];
  return all.reduce((n, r) => n + (['INSERT', 'UPDATE', 'DELETE', 'MERGE'].includes(r.command) ? (r.rowCount ?? 0) : 0), 0);
}

async function runTests(c: pg.PoolClient, tests: DataTest[]): Promise<NonNullable<ModelResult['testFailures']>> {
  const failures: NonNullable<ModelResult['testFailures']> = [];
  for (const t of tests) {
    const res = await c.query(t.sql);
    const rows = (Array.isArray(res) ? res[res.length - 1]! : res).rows;
    if (rows.length) failures.push({ test: t.name, severity: t.severity, count: rows.length, sample: rows.slice(0, 5) });
  }
  return failures;
}

async function record(c: pg.PoolClient, m: Model, r: ModelResult, started: Date, win: [string | null, string | null], opts: RunOptions): Promise<void> {
  await c.query(
    `INSERT INTO nexus.etl_runs (model, status, started_at, window_from, window_to, rows_affected, full_refresh, error, test_failures, worker)
     VALUES ($1, $2, $3, $4::xid8, $5::xid8, $6, $7, $8, $9, $10)`,
    [m.name, r.status, started, win[0], win[1], r.rows, opts.fullRefresh ?? false, r.error ?? null, r.testFailures?.length ? JSON.stringify(r.testFailures) : null, opts.worker ?? null],
  );
}

/** The transaction-id column of each source table that has one (staging: txid, warehouse: loaded_txid). */
async function sourceColumns(c: pg.PoolClient, models: Model[]): Promise<Map<string, string>> {
  const tables = [...new Set(models.flatMap((m) => m.sources))];
  const { rows } = await c.query<{ t: string; col: string }>(
    `SELECT table_schema || '.' || table_name AS t, column_name AS col FROM information_schema.columns
     WHERE table_schema || '.' || table_name = ANY($1) AND column_name IN ('txid', 'loaded_txid')`,
    [tables],
  );
  return new Map(rows.map((r) => [r.t, r.col]));
}

/**
 * Whether rows wait beyond the window's end. A window stops at the oldest
 * open transaction anywhere in the cluster, so a run held back by an
 * unrelated long transaction must come again, even if no new data arrives.
 */
async function isPending(c: pg.PoolClient, m: Model, hi: string, cols: Map<string, string>): Promise<boolean> {
  for (const src of m.sources) {
    const col = cols.get(src);
    if (!col) continue;
    const { rows } = await c.query(`SELECT 1 FROM ${qualified(src)} WHERE ${quoteIdent(col)} >= $1::xid8 LIMIT 1`, [hi]);
    if (rows.length) return true;
  }
  return false;
}

async function runModel(c: pg.PoolClient, m: Model, layerOf: Map<string, Layer>, tests: DataTest[], opts: RunOptions): Promise<ModelResult> {
  const started = new Date();
  const t0 = performance.now();
  let win: [string | null, string | null] = [null, null];
  try {
    await c.query('BEGIN');
    await c.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [LOCK_NAMESPACE, m.name]);
    const wm = await c.query<{ t: string }>('SELECT through_txid::text AS t FROM nexus.etl_watermarks WHERE model = $1', [m.name]);
    const lo = wm.rows[0]?.t ?? '0';
    // Never past a same-layer dependency: reading the same sources, this model
    // would otherwise meet rows (a new device, a new patient) its dependency
    // has not loaded yet. Models of a later layer read their dependencies'
    // output, which is fully visible below the snapshot's xmin.
    const deps = m.dependsOn.filter((d) => layerOf.get(d) === m.layer);
    const { rows } = await c.query<{ hi: string }>(
      `SELECT greatest($1::xid8, least(pg_snapshot_xmin(pg_current_snapshot()),
         coalesce((SELECT min(through_txid) FROM nexus.etl_watermarks WHERE model = ANY($2)), pg_snapshot_xmin(pg_current_snapshot()))))::text AS hi`,
      [lo, deps],
    );
    const hi = rows[0]!.hi;
    win = [lo, hi];
    // UTC: dates and stable keys must not depend on the session's time zone.
    await c.query("SELECT set_config('nexus.etl_from', $1, true), set_config('nexus.etl_to', $2, true), set_config('TimeZone', 'UTC', true)", [lo, hi]);
    const affected = rowsAffected(await c.query(m.sql));
    const failures = await runTests(c, tests);
    const blocking = failures.some((f) => f.severity === 'error');
    if (blocking) {
      await c.query('ROLLBACK');
      const r: ModelResult = { model: m.name, status: 'test_failed', rows: affected, ms: performance.now() - t0, testFailures: failures };
      await record(c, m, r, started, win, opts);
      return r;
    }
    await c.query(
      `INSERT INTO nexus.etl_watermarks (model, through_txid, updated_at) VALUES ($1, $2::xid8, now())
       ON CONFLICT (model) DO UPDATE SET through_txid = EXCLUDED.through_txid, updated_at = now()`,
      [m.name, hi],
    );
    const r: ModelResult = { model: m.name, status: 'ok', rows: affected, ms: performance.now() - t0, ...(failures.length ? { testFailures: failures } : {}) };
    await record(c, m, r, started, win, opts);
    await c.query('COMMIT');
    r.pending = await isPending(c, m, hi, opts.sourceColumns ?? new Map());
    return r;
  } catch (err) {
    await c.query('ROLLBACK').catch(() => undefined);
    const r: ModelResult = { model: m.name, status: 'failed', rows: 0, ms: performance.now() - t0, error: (err as Error).message };
    await record(c, m, r, started, win, opts).catch(() => undefined);
    return r;
  }
}

/** Empties the targets of `names` and of every model downstream, and forgets their watermarks. */
async function fullRefresh(c: pg.PoolClient, models: Model[], names: string[]): Promise<void> {
  const set = downstream(models, names);
  const chosen = models.filter((m) => set.has(m.name) && m.kind === 'incremental');
  const targets = [...new Set(chosen.flatMap((m) => m.targets))];
  await c.query('BEGIN');
  for (const m of chosen) await c.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [LOCK_NAMESPACE, m.name]);
  if (targets.length) await c.query(`TRUNCATE ${targets.map(qualified).join(', ')}`);
  await c.query('DELETE FROM nexus.etl_watermarks WHERE model = ANY($1)', [chosen.map((m) => m.name)]);
  await c.query('COMMIT');
}

export async function runModels(db: DbAccess, opts: RunOptions = {}): Promise<ModelResult[]> {
  const all = loadModels();
  const layers = opts.layers ?? ['warehouse', 'marts'];
  const selected = all.filter((m) => m.kind === 'incremental' && (opts.models ? opts.models.includes(m.name) : layers.includes(m.layer)));
  const unknown = (opts.models ?? []).filter((n) => !all.some((m) => m.name === n));
  if (unknown.length) throw new Error(`unknown ETL model(s): ${unknown.join(', ')}`);
  const tests = loadDataTests();
  const layerOf = new Map(all.filter((m) => m.kind === 'incremental').map((m) => [m.name, m.layer]));
  const c = await db.pool('nexus_etl').connect();
  const results: ModelResult[] = [];
  try {
    opts = { ...opts, sourceColumns: await sourceColumns(c, selected) };
    if (opts.fullRefresh) {
      await fullRefresh(c, all, selected.map((m) => m.name));
      // Everything downstream was emptied too, so it is rebuilt in the same pass.
      const set = downstream(all, selected.map((m) => m.name));
      selected.splice(0, selected.length, ...all.filter((m) => m.kind === 'incremental' && set.has(m.name)));
    }
    const failed = new Set<string>();
    for (const m of selected) {
      if (m.dependsOn.some((d) => failed.has(d))) {
        failed.add(m.name);
        const r: ModelResult = { model: m.name, status: 'skipped', rows: 0, ms: 0, error: 'an upstream model failed' };
        await record(c, m, r, new Date(), [null, null], opts);
        results.push(r);
        continue;
      }
      const r = await runModel(c, m, layerOf, tests.filter((t) => t.model === m.name), opts);
      if (r.status === 'failed' || r.status === 'test_failed') failed.add(m.name);
      opts.log?.[r.status === 'ok' ? 'debug' : 'error']({ model: m.name, status: r.status, rows: r.rows, ms: Math.round(r.ms), error: r.error, tests: r.testFailures }, 'etl model');
      results.push(r);
    }
  } finally {
    c.release();
  }
  return results;
}

/** (Re)creates the view models (stg_*) as nexus_owner; run at setup after migrations. */
export async function applyViews(db: DbAccess): Promise<number> {
  const views = loadModels().filter((m) => m.kind === 'view');
  const c = await db.connect('nexus_owner');
  try {
    await c.query('BEGIN');
    for (const v of views) await c.query(v.sql);
    await c.query('COMMIT');
  } finally {
    await c.end();
  }
  return views.length;
}
