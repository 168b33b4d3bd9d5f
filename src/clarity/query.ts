// Running a read query: guard, bind, execute on a connection of its own.
// `runQuery` returns at most `limit` rows for the screen; `streamQuery`
// hands chunks to a sink for exports, so memory stays at one chunk.

import { JsonDuckDBValueConverter, type DuckDBConnection } from '@duckdb/node-api';
import type { Engine } from './engine.ts';
import { prepareReadOnly, cleanMessage } from './guard.ts';
import { bindParams, type ParamDef } from './params.ts';
import { NexusError, isNexusError } from '../core/errors.ts';

export interface QueryInput {
  sql: string;
  params?: ParamDef[];
  values?: Record<string, unknown>;
}

export interface QueryResult {
  columns: Array<{ name: string; type: string }>;
  rows: unknown[][];
  truncated: boolean;
  ms: number;
}

async function start(c: DuckDBConnection, q: QueryInput) {
  const p = await prepareReadOnly(c, q.sql);
  bindParams(p, q.params ?? [], q.values ?? {});
  try {
    return await p.stream();
  } catch (err) {
    throw new NexusError('clarity_sql_invalid', cleanMessage(err), { status: 400 });
  }
}

export async function runQuery(engine: Engine, q: QueryInput, limit = 5000): Promise<QueryResult> {
  const t0 = performance.now();
  return engine.with(async (c) => {
    const res = await start(c, q);
    const columns = res.columnNames().map((name, i) => ({ name, type: res.columnType(i).toString() }));
    const rows: unknown[][] = [];
    let truncated = false;
    try {
      for (;;) {
        const chunk = await res.fetchChunk();
        if (!chunk || chunk.rowCount === 0) break;
        for (const r of chunk.convertRows(JsonDuckDBValueConverter)) {
          if (rows.length >= limit) {
            truncated = true;
            break;
          }
          rows.push(r);
        }
        if (truncated) break;
      }
    } catch (err) {
      if (isNexusError(err)) throw err;
      throw new NexusError('clarity_sql_invalid', cleanMessage(err), { status: 400 });
    }
    return { columns, rows, truncated, ms: performance.now() - t0 };
  });
}

export interface RowSink {
  columns(cols: Array<{ name: string; type: string }>): Promise<void> | void;
  /** Rows as JSON-safe values; resolves when the sink can take more. */
  rows(rows: unknown[][]): Promise<void> | void;
}

export async function streamQuery(engine: Engine, q: QueryInput, sink: RowSink): Promise<number> {
  return engine.with(async (c) => {
    const res = await start(c, q);
    await sink.columns(res.columnNames().map((name, i) => ({ name, type: res.columnType(i).toString() })));
    let n = 0;
    for (;;) {
      const chunk = await res.fetchChunk();
      if (!chunk || chunk.rowCount === 0) break;
      const rows = chunk.convertRows(JsonDuckDBValueConverter);
      n += rows.length;
      await sink.rows(rows);
    }
    return n;
  });
}
