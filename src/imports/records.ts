// A file as a stream of records, each with the line it starts on (the row
// number in a sheet), or a rejection with the reason. Nothing is held beyond
// the record at hand, so memory stays flat whatever the file size.
// Records leave as JSON text, ready for COPY.

import type { Readable } from 'node:stream';
import { createInterface } from 'node:readline';
import { parse } from 'csv-parse';
import ExcelJS from 'exceljs';
import type { Format } from './formats.ts';
import { cellValue, headerNames } from './cells.ts';
import { jsonArrayElements } from './json-array.ts';

export interface Reject {
  code: string;
  reason: string;
  excerpt?: string;
}
export type Item = { line: number; json: string; reject?: undefined } | { line: number; reject: Reject; json?: undefined };

const EXCERPT = 200;
const excerpt = (raw: string) => {
  const s = raw.trim();
  return s.length > EXCERPT ? `${s.slice(0, EXCERPT)}…` : s;
};

/** Problems that keep a record out of staging whatever its format. */
function textProblem(text: string): Reject | undefined {
  if (text.includes('\uFFFD')) return { code: 'invalid_encoding', reason: 'not valid UTF-8 (save the file as UTF-8)' };
  if (text.includes('\u0000') || text.includes('\\u0000')) return { code: 'nul_character', reason: 'contains a NUL character, which cannot be stored' };
  return undefined;
}

async function* csvItems(input: Readable, delimiter: string): AsyncGenerator<Item> {
  const skipped: Item[] = [];
  let lastSkip = -1;
  const parser = parse({
    delimiter, bom: true, relax_column_count: true, skip_empty_lines: true, info: true,
    skip_records_with_error: true,
    on_skip: (err, raw) => {
      // One bad record can raise several errors (a stray quote per field): report it once.
      const at = Number((err as unknown as { lines?: number } | undefined)?.lines ?? 0);
      if (skipped.at(-1)?.line === at || lastSkip === at) return undefined;
      lastSkip = at;
      skipped.push({ line: Number((err as unknown as { lines?: number } | undefined)?.lines ?? 0), reject: { code: 'csv_syntax', reason: err?.message ?? 'malformed CSV', ...(raw ? { excerpt: excerpt(raw) } : {}) } });
      return undefined;
    },
  });
  input.on('error', (e) => parser.destroy(e));
  input.pipe(parser);
  let header: string[] | undefined;
  let prevLines = 0;
  const sep = delimiter === '\t' ? '\t' : delimiter;
  try {
    for await (const { record, info } of parser as AsyncIterable<{ record: string[]; info: { lines: number } }>) {
      yield* skipped.splice(0);
      // info.lines is where the record ends; newlines inside quoted fields move its start up.
      let inner = 0;
      for (const f of record) for (let i = f.indexOf('\n'); i !== -1; i = f.indexOf('\n', i + 1)) inner++;
      const line = info.lines - inner;
      prevLines = info.lines;
      const text = record.join(sep);
      const problem = textProblem(text);
      if (!header) {
        if (problem) {
          yield { line, reject: { ...problem, reason: `the header ${problem.reason}` } };
          return;
        }
        header = headerNames(record);
        continue;
      }
      if (problem) yield { line, reject: { ...problem, excerpt: excerpt(text) } };
      else if (record.length !== header.length) {
        yield { line, reject: { code: 'ragged_row', reason: `has ${record.length} field${record.length === 1 ? '' : 's'}; the header has ${header.length}`, excerpt: excerpt(text) } };
      } else {
        const obj: Record<string, string> = {};
        for (let i = 0; i < header.length; i++) obj[header[i]!] = record[i]!;
        yield { line, json: JSON.stringify(obj) };
      }
    }
    yield* skipped.splice(0);
  } catch (err) {
    // What the parser cannot skip (a quote left open at the end) ends the file here.
    yield* skipped.splice(0);
    yield { line: prevLines + 1, reject: { code: 'csv_syntax', reason: `${(err as Error).message}; the rest of the file was not read` } };
  }
}

async function* ndjsonItems(input: Readable): AsyncGenerator<Item> {
  input.setEncoding('utf8');
  let line = 0;
  for await (const text of createInterface({ input, crlfDelay: Infinity })) {
    line++;
    if (!text.trim()) continue;
    yield parseRecord(line, text);
  }
}

export function parseRecord(line: number, text: string): Item {
  const problem = textProblem(text);
  if (problem) return { line, reject: { ...problem, excerpt: excerpt(text) } };
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    return { line, reject: { code: 'invalid_json', reason: (err as Error).message, excerpt: excerpt(text) } };
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    return { line, reject: { code: 'not_an_object', reason: `a record must be a JSON object, not ${Array.isArray(value) ? 'an array' : value === null ? 'null' : typeof value}`, excerpt: excerpt(text) } };
  }
  return { line, json: JSON.stringify(value) };
}

async function* jsonItems(input: Readable): AsyncGenerator<Item> {
  input.setEncoding('utf8');
  for await (const el of jsonArrayElements(input as AsyncIterable<string>)) {
    yield el.error ? { line: el.line, reject: { code: 'invalid_json', reason: el.error, excerpt: excerpt(el.text) } } : parseRecord(el.line, el.text);
  }
}

async function* xlsxItems(input: Readable, sheet?: string): AsyncGenerator<Item> {
  const reader = new ExcelJS.stream.xlsx.WorkbookReader(input, { worksheets: 'emit', sharedStrings: 'cache', hyperlinks: 'ignore', styles: 'cache', entries: 'ignore' });
  let index = 0;
  for await (const ws of reader) {
    index++;
    const name = (ws as unknown as { name?: string }).name;
    if (sheet ? name !== sheet : index > 1) continue;
    let header: string[] | undefined;
    for await (const row of ws as AsyncIterable<ExcelJS.Row>) {
      const cells = (row.values as unknown[]).slice(1).map(cellValue);
      if (cells.every((c) => c === null || c === '')) continue;
      if (!header) {
        header = headerNames(cells);
        continue;
      }
      if (cells.length > header.length && cells.slice(header.length).some((c) => c !== null && c !== '')) {
        yield { line: row.number, reject: { code: 'ragged_row', reason: `has values beyond the header's ${header.length} columns` } };
        continue;
      }
      const obj = Object.fromEntries(header.map((h, i) => [h, cells[i] ?? null]));
      const json = JSON.stringify(obj);
      const problem = textProblem(json);
      yield problem ? { line: row.number, reject: { ...problem, excerpt: excerpt(json) } } : { line: row.number, json };
    }
  }
}

export function readItems(input: Readable, format: Format, opts: { sheet?: string } = {}): AsyncGenerator<Item> {
  switch (format) {
    case 'csv':
      return csvItems(input, ',');
    case 'tsv':
      return csvItems(input, '\t');
    case 'ndjson':
      return ndjsonItems(input);
    case 'json':
      return jsonItems(input);
    case 'xlsx':
      return xlsxItems(input, opts.sheet);
  }
}
