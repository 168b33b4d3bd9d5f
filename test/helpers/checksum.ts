// A checksum per table of the warehouse and marts, over every column but the
// ETL's own bookkeeping (which transaction wrote a row), so two builds can
// be compared for identical content.

import type { TestDb } from './db.ts';
import { quoteIdent } from '../../src/db/ident.ts';

const BOOKKEEPING = new Set(['loaded_txid', 'txid']);

export async function layerChecksums(t: TestDb, schemas = ['warehouse', 'mart_field', 'mart_ops', 'mart_analytics']): Promise<Record<string, string>> {
  const cols = await t.query<{ s: string; t: string; c: string }>(
    'admin',
    `SELECT c.table_schema AS s, c.table_name AS t, c.column_name AS c
     FROM information_schema.columns c JOIN information_schema.tables tb USING (table_schema, table_name)
     WHERE c.table_schema = ANY($1) AND tb.table_type = 'BASE TABLE'
     ORDER BY 1, 2, c.ordinal_position`,
    [schemas],
  );
  const tables = new Map<string, string[]>();
  for (const r of cols) {
    if (BOOKKEEPING.has(r.c)) continue;
    const key = `${r.s}.${r.t}`;
    tables.set(key, [...(tables.get(key) ?? []), r.c]);
  }
  const out: Record<string, string> = {};
  for (const [table, columns] of tables) {
    const list = columns.map(quoteIdent).join(', ');
    const [s, n] = table.split('.');
    const rows = await t.query<{ n: string; h: string | null }>(
      'admin',
      `SELECT count(*) AS n, md5(string_agg(r, E'\\n' ORDER BY r)) AS h FROM (SELECT ROW(${list})::text AS r FROM ${quoteIdent(s!)}.${quoteIdent(n!)}) x`,
    );
    out[table] = `${rows[0]!.n}:${rows[0]!.h ?? '-'}`;
  }
  return out;
}
