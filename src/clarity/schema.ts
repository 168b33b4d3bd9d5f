// What the SQL editor's autocomplete offers: every table and column in the
// engine (marts, extra sources), without Clarity's own bookkeeping.

import type { Engine } from './engine.ts';

export interface SchemaTable {
  schema: string;
  table: string;
  columns: Array<{ name: string; type: string }>;
}

export async function engineSchema(engine: Engine): Promise<SchemaTable[]> {
  return engine.with(async (c) => {
    const r = await c.runAndReadAll(`SELECT table_schema, table_name, column_name, data_type FROM information_schema.columns
      WHERE table_schema NOT IN ('clarity_meta', 'information_schema', 'pg_catalog') AND table_catalog = current_database()
      ORDER BY table_schema, table_name, ordinal_position`);
    const out = new Map<string, SchemaTable>();
    for (const [s, t, col, type] of r.getRows() as string[][]) {
      const key = `${s}.${t}`;
      if (!out.has(key)) out.set(key, { schema: s!, table: t!, columns: [] });
      out.get(key)!.columns.push({ name: col!, type: type! });
    }
    return [...out.values()];
  });
}
