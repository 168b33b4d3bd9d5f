// Exports of any read query, streamed: CSV and XLSX are written chunk by
// chunk as DuckDB produces them (exceljs' streaming writer for XLSX), so a
// million rows never sit in memory; Parquet is written by DuckDB's COPY into
// a work file, streamed out and removed.

import { createReadStream, rmSync, statSync } from 'node:fs';
import { once } from 'node:events';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import type { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import ExcelJS from 'exceljs';
import type { Engine } from './engine.ts';
import { streamQuery, type QueryInput } from './query.ts';
import { prepareReadOnly, cleanMessage } from './guard.ts';
import { bindParams } from './params.ts';
import { NexusError } from '../core/errors.ts';
import { StatementType } from '@duckdb/node-api';

export const EXPORT_FORMATS = {
  csv: { type: 'text/csv; charset=utf-8', ext: 'csv' },
  xlsx: { type: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet', ext: 'xlsx' },
  parquet: { type: 'application/vnd.apache.parquet', ext: 'parquet' },
} as const;
export type ExportFormat = keyof typeof EXPORT_FORMATS;

const XLSX_MAX_ROWS = 1_048_575; // a sheet holds 2^20 rows, one is the header

function cell(v: unknown): string {
  if (v === null || v === undefined) return '';
  const s = typeof v === 'object' ? JSON.stringify(v) : String(v);
  return /[",\r\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
}

async function write(out: Writable, s: string): Promise<void> {
  if (!out.write(s)) await once(out, 'drain');
}

export async function exportCsv(engine: Engine, q: QueryInput, out: Writable): Promise<number> {
  const n = await streamQuery(engine, q, {
    columns: (cols) => write(out, cols.map((c) => cell(c.name)).join(',') + '\r\n'),
    rows: (rows) => write(out, rows.map((r) => r.map(cell).join(',')).join('\r\n') + '\r\n'),
  });
  out.end();
  return n;
}

function xlsxValue(v: unknown): ExcelJS.CellValue {
  if (v === null || v === undefined) return null;
  if (typeof v === 'number' || typeof v === 'boolean') return v;
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}

export async function exportXlsx(engine: Engine, q: QueryInput, out: Writable): Promise<number> {
  const wb = new ExcelJS.stream.xlsx.WorkbookWriter({ stream: out, useStyles: false, useSharedStrings: false });
  let header: string[] = [];
  let sheet: ExcelJS.Worksheet | undefined;
  let inSheet = 0;
  let sheets = 0;
  const newSheet = (): ExcelJS.Worksheet => {
    sheet?.commit();
    sheets += 1;
    inSheet = 0;
    const ws = wb.addWorksheet(sheets === 1 ? 'Result' : `Result ${sheets}`);
    ws.addRow(header).commit();
    return ws;
  };
  const n = await streamQuery(engine, q, {
    columns: (cols) => {
      header = cols.map((c) => c.name);
      sheet = newSheet();
    },
    rows: async (rows) => {
      for (const r of rows) {
        if (inSheet >= XLSX_MAX_ROWS) sheet = newSheet();
        sheet!.addRow(r.map(xlsxValue)).commit();
        inSheet += 1;
      }
      // Let the zip stream drain between chunks.
      if (out.writableNeedDrain) await once(out, 'drain');
    },
  });
  sheet?.commit();
  await wb.commit();
  return n;
}

export async function exportParquet(engine: Engine, q: QueryInput, out: Writable): Promise<void> {
  const file = path.join(engine.paths.work, `export-${randomBytes(8).toString('hex')}.parquet`);
  try {
    await engine.with(async (c) => {
      (await prepareReadOnly(c, q.sql)).destroySync(); // the guard first, on the text alone
      const sql = `COPY (${q.sql.replace(/;\s*$/, '')}\n) TO '${file}' (FORMAT parquet, COMPRESSION zstd)`;
      const extracted = await c.extractStatements(sql);
      if (extracted.count !== 1) throw new NexusError('clarity_sql_invalid', 'The query cannot be exported as Parquet.', { status: 400 });
      const p = await extracted.prepare(0);
      if (p.statementType !== StatementType.COPY) throw new NexusError('clarity_sql_invalid', 'The query cannot be exported as Parquet.', { status: 400 });
      bindParams(p, q.params ?? [], q.values ?? {});
      try {
        await p.run();
      } catch (err) {
        throw new NexusError('clarity_sql_invalid', cleanMessage(err), { status: 400 });
      }
    });
    statSync(file);
    await pipeline(createReadStream(file), out);
  } finally {
    rmSync(file, { force: true });
  }
}
