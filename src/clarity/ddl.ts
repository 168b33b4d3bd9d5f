// PostgreSQL columns as DuckDB columns: how each type is read out of
// PostgreSQL (a text form COPY can carry) and cast back in DuckDB.

export interface PgColumn {
  name: string;
  /** information_schema udt_name: int4, numeric, _text, timestamptz, … */
  udt: string;
}

export interface ColumnPlan {
  name: string;
  duck: string;
  /** Expression over the quoted PostgreSQL column. */
  pgExpr: (col: string) => string;
  /** Expression over the VARCHAR column read from the CSV. */
  duckExpr: (col: string) => string;
}

const SIMPLE: Record<string, string> = {
  int2: 'SMALLINT', int4: 'INTEGER', int8: 'BIGINT', float4: 'FLOAT', float8: 'DOUBLE', numeric: 'DOUBLE',
  bool: 'BOOLEAN', date: 'DATE', timestamptz: 'TIMESTAMPTZ', timestamp: 'TIMESTAMP', uuid: 'UUID',
  text: 'VARCHAR', varchar: 'VARCHAR', bpchar: 'VARCHAR', name: 'VARCHAR', time: 'TIME', json: 'JSON', jsonb: 'JSON',
};

/** Bookkeeping columns that are not copied (loaded_txid drives incremental refresh). */
export const SKIPPED_UDTS = new Set(['xid8', 'xid', 'tid', 'bytea']);

export function duckIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

export function duckString(s: string): string {
  return `'${s.replaceAll("'", "''")}'`;
}

export function planColumn(c: PgColumn): ColumnPlan {
  if (c.udt.startsWith('_')) {
    const inner = SIMPLE[c.udt.slice(1)] ?? 'VARCHAR';
    return {
      name: c.name,
      duck: `${inner}[]`,
      pgExpr: (col) => `array_to_json(${col})::text`,
      duckExpr: (col) => `CAST(from_json(${col}, '["VARCHAR"]') AS ${inner}[])`,
    };
  }
  const duck = SIMPLE[c.udt] ?? 'VARCHAR';
  return {
    name: c.name,
    duck,
    // Booleans as true/false and anything unknown as its text form.
    pgExpr: (col) => (c.udt === 'bool' || !SIMPLE[c.udt] ? `${col}::text` : col),
    duckExpr: (col) => (duck === 'VARCHAR' ? col : `CAST(${col} AS ${duck})`),
  };
}
