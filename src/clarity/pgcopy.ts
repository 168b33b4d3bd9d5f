// Copies PostgreSQL tables and views into the DuckDB file. One repeatable-
// read snapshot per refresh; each table goes through COPY … TO STDOUT (CSV)
// into a work file that DuckDB reads. A table with a primary key and a
// loaded_txid column is copied incrementally: the rows written since the
// previous refresh's snapshot xmin (every transaction below it had finished,
// so none can appear there later) are upserted; if the row counts then
// disagree (rows were deleted), the table is reloaded whole. Views and other
// tables are reloaded whole.

import { createWriteStream, rmSync } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import type pg from 'pg';
import { to as copyTo } from 'pg-copy-streams';
import type { DuckDBConnection } from '@duckdb/node-api';
import { quoteIdent } from '../db/ident.ts';
import { NexusError } from '../core/errors.ts';
import { SKIPPED_UDTS, duckIdent, duckString, planColumn, type ColumnPlan } from './ddl.ts';

export interface Relation {
  schema: string;
  name: string;
  kind: 'table' | 'view';
  columns: ColumnPlan[];
  primaryKey: string[];
  incremental: boolean;
}

export interface TableResult {
  schema: string;
  table: string;
  mode: 'full' | 'incremental' | 'unchanged';
  rows: number;
  copied: number;
  ms: number;
}

export async function listRelations(pgc: pg.ClientBase, schemas: string[]): Promise<Relation[]> {
  const { rows } = await pgc.query<{ s: string; t: string; kind: string; c: string; udt: string; pk: number | null }>(
    `SELECT c.table_schema AS s, c.table_name AS t, tb.table_type AS kind, c.column_name AS c, c.udt_name AS udt,
            (SELECT array_position(i.indkey::int2[], a.attnum) FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid
              WHERE i.indrelid = format('%I.%I', c.table_schema, c.table_name)::regclass AND i.indisprimary AND a.attname = c.column_name) AS pk
     FROM information_schema.columns c JOIN information_schema.tables tb USING (table_schema, table_name)
     WHERE c.table_schema = ANY($1) -- information_schema lists only what this role may use
     ORDER BY 1, 2, c.ordinal_position`,
    [schemas],
  );
  const byKey = new Map<string, Relation & { txid: boolean; pkPos: Array<[number, string]> }>();
  for (const r of rows) {
    const key = `${r.s}.${r.t}`;
    let rel = byKey.get(key);
    if (!rel) {
      rel = { schema: r.s, name: r.t, kind: r.kind === 'VIEW' ? 'view' : 'table', columns: [], primaryKey: [], incremental: false, txid: false, pkPos: [] };
      byKey.set(key, rel);
    }
    if (r.c === 'loaded_txid') rel.txid = true;
    if (SKIPPED_UDTS.has(r.udt)) continue;
    rel.columns.push(planColumn({ name: r.c, udt: r.udt }));
    if (r.pk !== null) rel.pkPos.push([r.pk, r.c]);
  }
  return [...byKey.values()].map(({ txid, pkPos, ...rel }) => {
    const primaryKey = pkPos.sort((a, b) => a[0] - b[0]).map(([, c]) => c);
    return { ...rel, primaryKey, incremental: txid && primaryKey.length > 0 };
  });
}

async function copyOut(pgc: pg.ClientBase, rel: Relation, where: string, file: string): Promise<void> {
  const cols = rel.columns.map((c) => c.pgExpr(quoteIdent(c.name))).join(', ');
  const sql = `COPY (SELECT ${cols} FROM ${quoteIdent(rel.schema)}.${quoteIdent(rel.name)} ${where}) TO STDOUT WITH (FORMAT csv)`;
  await pipeline(pgc.query(copyTo(sql)), createWriteStream(file, { mode: 0o600 }));
}

function readCsv(rel: Relation, file: string): string {
  const cols = rel.columns.map((c, i) => `${duckString(`c${i}`)}: 'VARCHAR'`).join(', ');
  const exprs = rel.columns.map((c, i) => `${c.duckExpr(`c${i}`)} AS ${duckIdent(c.name)}`).join(', ');
  return `SELECT ${exprs} FROM read_csv(${duckString(file)}, header = false, auto_detect = false, quote = '"', escape = '"',
    allow_quoted_nulls = false, columns = {${cols}})`;
}

function createTable(rel: Relation, target: string): string {
  // UUIDs from a narrow range (sequential or synthetic ids) get bit-packed as
  // 128-bit integers, which DuckDB decodes ~40× slower than it scans them raw.
  const cols = rel.columns.map((c) => `${duckIdent(c.name)} ${c.duck}${c.duck === 'UUID' ? ' USING COMPRESSION uncompressed' : ''}`);
  if (rel.primaryKey.length) cols.push(`PRIMARY KEY (${rel.primaryKey.map(duckIdent).join(', ')})`);
  return `CREATE OR REPLACE TABLE ${target} (${cols.join(', ')})`;
}

async function duckCount(dc: DuckDBConnection, target: string): Promise<number> {
  const r = await dc.runAndReadAll(`SELECT count(*)::BIGINT AS n FROM ${target}`);
  return Number(r.getRows()[0]![0]);
}

/**
 * Copies one relation. `watermark`: the snapshot xmin of the previous copy
 * (digits only), or undefined for a full copy. Runs inside the caller's
 * PostgreSQL snapshot and DuckDB transaction.
 */
export async function copyRelation(
  pgc: pg.ClientBase, dc: DuckDBConnection, rel: Relation, targetSchema: string, workDir: string, watermark: string | undefined, schemaChanged: boolean,
): Promise<TableResult> {
  const t0 = performance.now();
  const target = `${duckIdent(targetSchema)}.${duckIdent(rel.name)}`;
  const file = path.join(workDir, `copy-${randomBytes(6).toString('hex')}.csv`);
  if (watermark !== undefined && !/^\d+$/.test(watermark)) throw new NexusError('clarity_state_corrupt', `refresh watermark ${watermark} is not a transaction id`);
  try {
    await dc.run(`CREATE SCHEMA IF NOT EXISTS ${duckIdent(targetSchema)}`);
    const { rows: [cnt] } = await pgc.query<{ n: string }>(`SELECT count(*) AS n FROM ${quoteIdent(rel.schema)}.${quoteIdent(rel.name)}`);
    const pgRows = Number(cnt!.n);
    if (rel.incremental && watermark !== undefined && !schemaChanged) {
      // The watermark is our own validated xid8 text: safe to inline (COPY takes no parameters).
      await copyOut(pgc, rel, `WHERE loaded_txid >= '${watermark}'::xid8`, file);
      const res = await dc.runAndReadAll(`INSERT OR REPLACE INTO ${target} ${readCsv(rel, file)}`);
      const copied = Number(res.getRows()[0]?.[0] ?? 0);
      if ((await duckCount(dc, target)) === pgRows) {
        return { schema: targetSchema, table: rel.name, mode: copied === 0 ? 'unchanged' : 'incremental', rows: pgRows, copied, ms: performance.now() - t0 };
      }
    }
    await copyOut(pgc, rel, '', file);
    await dc.run(createTable(rel, target));
    await dc.run(`INSERT INTO ${target} ${readCsv(rel, file)}`);
    return { schema: targetSchema, table: rel.name, mode: 'full', rows: pgRows, copied: pgRows, ms: performance.now() - t0 };
  } finally {
    rmSync(file, { force: true });
  }
}
