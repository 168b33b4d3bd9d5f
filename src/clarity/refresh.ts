// Refreshing the engine from PostgreSQL: the marts through clarity_reader,
// and any extra PostgreSQL source through its own URL. The whole source is
// read in one repeatable-read, read-only snapshot and written to DuckDB in
// one transaction, so a dashboard never sees half a refresh.

import pg from 'pg';
import type { DbAccess } from '../db/connection.ts';
import { copyRelation, listRelations, type TableResult } from './pgcopy.ts';
import type { Engine } from './engine.ts';
import { duckString } from './ddl.ts';

export const MART_SCHEMAS = ['mart_ops', 'mart_analytics'];

export interface RefreshResult {
  source: string;
  tables: TableResult[];
  refreshedAt: string;
  dataAsOf: string | null;
  ms: number;
}

export interface PgSourceSpec {
  /** Name in refresh_state; for extra sources also the prefix of their DuckDB schemas. */
  source: string;
  schemas: string[];
  /** DuckDB schema for a PostgreSQL schema. */
  target: (pgSchema: string) => string;
}

export async function refreshFromClient(engine: Engine, pgc: pg.ClientBase, spec: PgSourceSpec): Promise<RefreshResult> {
  const t0 = performance.now();
  await pgc.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
  try {
    await pgc.query("SET LOCAL TimeZone = 'UTC'");
    const { rows: [snap] } = await pgc.query<{ xmin: string }>('SELECT pg_snapshot_xmin(pg_current_snapshot())::text AS xmin');
    const rels = await listRelations(pgc, spec.schemas);
    let dataAsOf: string | null = null;
    if (rels.some((r) => r.schema === 'mart_ops' && r.name === 'etl_lag')) {
      const { rows } = await pgc.query<{ at: Date | null }>(`SELECT min(last_ok_at) AS at FROM mart_ops.etl_lag WHERE model LIKE 'mart\\_%'`);
      dataAsOf = rows[0]?.at ? rows[0].at.toISOString() : null;
    }
    const tables = await engine.exclusive(() =>
      engine.with(async (dc) => {
        const state = new Map<string, { watermark: string | null; signature: string | null }>();
        const prev = await dc.runAndReadAll(`SELECT table_schema, table_name, watermark, signature FROM clarity_meta.refresh_state WHERE source = $1`, [spec.source]);
        for (const [s, t, w, sig] of prev.getRows()) state.set(`${s}.${t}`, { watermark: (w as string | null) ?? null, signature: (sig as string | null) ?? null });
        const out: TableResult[] = [];
        await dc.run('BEGIN TRANSACTION');
        try {
          for (const rel of rels) {
            const target = spec.target(rel.schema);
            const signature = JSON.stringify([rel.columns.map((c) => [c.name, c.duck]), rel.primaryKey]);
            const before = state.get(`${target}.${rel.name}`);
            const r = await copyRelation(pgc, dc, rel, target, engine.paths.work, before?.watermark ?? undefined, before?.signature !== signature);
            out.push(r);
            await dc.run(
              `INSERT OR REPLACE INTO clarity_meta.refresh_state VALUES ($1, $2, $3, $4, $5, now(), ${dataAsOf ? `${duckString(dataAsOf)}::TIMESTAMPTZ` : 'NULL'}, $6, $7)`,
              [spec.source, target, rel.name, rel.incremental ? snap!.xmin : null, r.rows, r.mode, signature],
            );
          }
          await dc.run('COMMIT');
        } catch (err) {
          await dc.run('ROLLBACK').catch(() => undefined);
          throw err;
        }
        return out;
      }),
    );
    return { source: spec.source, tables, refreshedAt: new Date().toISOString(), dataAsOf, ms: performance.now() - t0 };
  } finally {
    await pgc.query('ROLLBACK').catch(() => undefined);
  }
}

/** The marts, through the read-only clarity_reader role. */
export async function refreshMarts(engine: Engine, db: DbAccess): Promise<RefreshResult> {
  const c = await db.connect('clarity_reader');
  try {
    return await refreshFromClient(engine, c, { source: 'marts', schemas: MART_SCHEMAS, target: (s) => s });
  } finally {
    await c.end();
  }
}

/** Another PostgreSQL database (its URL names a role that should be read-only). */
export async function refreshPgSource(engine: Engine, name: string, url: string, schemas: string[]): Promise<RefreshResult> {
  const c = new pg.Client({ connectionString: url, connectionTimeoutMillis: 10_000 });
  c.on('error', () => undefined);
  await c.connect();
  try {
    return await refreshFromClient(engine, c, { source: name, schemas, target: (s) => `${name}_${s}` });
  } finally {
    await c.end();
  }
}

export interface Freshness {
  source: string;
  refreshed_at: string | null;
  data_as_of: string | null;
  tables: number;
  rows: number;
}

export async function freshness(engine: Engine): Promise<Freshness[]> {
  return engine.with(async (dc) => {
    const r = await dc.runAndReadAll(`SELECT source, max(refreshed_at)::VARCHAR AS refreshed_at, max(data_as_of)::VARCHAR AS data_as_of,
      count(*)::INTEGER AS tables, sum(row_count)::BIGINT AS rows FROM clarity_meta.refresh_state GROUP BY source ORDER BY source`);
    return r.getRowObjectsJson() as unknown as Freshness[];
  });
}
