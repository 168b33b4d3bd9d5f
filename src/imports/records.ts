// A file as a stream of records, each with the line it starts on (the row
// number in a sheet), or a rejection with the reason. Nothing is held beyond
// the record at hand, so memory stays flat whatever the file size.
// Records leave as JSON text, ready for COPY.

import type { Readable } from 'node:stream';
import { createInterface } from 'node:readline';
import { Parser } from 'csv-parse';
import type ExcelJS from 'exceljs';
import { NexusError } from '../core/errors.ts';
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
/**
 * Excerpts are stored through jsonb, which refuses NUL and lone surrogates
 * (a NUL in a rejected row failed the whole import): shown as ␀ and �.
 */
const excerpt = (raw: string) => {
  const s = raw.trim();
  return (s.length > EXCERPT ? `${s.slice(0, EXCERPT)}…` : s)
    .replaceAll('\u0000', '\u2400')
    .replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '\uFFFD');
};

/**
 * JSON.stringify writes a lone UTF-16 surrogate (from a JSON "\ud800" or an
 * XML character reference) as that escape, which jsonb refuses, and with it
 * the whole COPY: such a record is rejected instead. An escaped backslash
 * before "ud800" is text, not an escape.
 */
const LONE_SURROGATE = /(?<!\\)(?:\\\\)*\\ud[89a-f][0-9a-f]{2}/;
function jsonProblem(json: string): Reject | undefined {
  if (json.includes('\\ud') && LONE_SURROGATE.test(json)) return { code: 'invalid_encoding', reason: 'contains a lone UTF-16 surrogate (\\udXXX), which is not a character' };
  return textProblem(json);
}

/** A JSON \u0000 escape; after an escaped backslash, "u0000" is text (a cell reading \u0000). */
const ESCAPED_NUL = /(?<!\\)(?:\\\\)*\\u0000/;

/** Problems that keep a record out of staging whatever its format. */
function textProblem(text: string): Reject | undefined {
  if (text.includes('\uFFFD')) return { code: 'invalid_encoding', reason: 'not valid UTF-8 (save the file as UTF-8)' };
  if (text.includes('\u0000') || (text.includes('\\u0000') && ESCAPED_NUL.test(text))) return { code: 'nul_character', reason: 'contains a NUL character, which cannot be stored' };
  return undefined;
}

/**
 * csv-parse's stream with the line each record ends on. Its `info` option
 * would give that too, but copies a dozen counters into a new object per
 * record, which tripled the parse time of a large file; the parser's live
 * `info.lines` is exact at the moment it pushes the record.
 */
class LinedParser extends Parser {
  override push(chunk: unknown, encoding?: BufferEncoding): boolean {
    return super.push(chunk === null ? null : { record: chunk, lines: this.info.lines }, encoding);
  }
}

/**
 * A record as JSON text straight from the header's pre-encoded keys: no
 * object per row. Keys stay unique (headerNames), so the text is what
 * JSON.stringify of the object would give, up to key order, which jsonb
 * does not keep anyway.
 */
function recordJson(keys: string[], record: string[]): string {
  let json = '';
  for (let i = 0; i < keys.length; i++) json += keys[i]! + JSON.stringify(record[i]!);
  return json + '}';
}

async function* csvItems(input: Readable, delimiter: string): AsyncGenerator<Item[]> {
  const skipped: Item[] = [];
  let lastSkip = -1;
  const parser = new LinedParser({
    // Every line end, whatever the first one was: files edited on two systems
    // mix them, and auto-detection glued the rows of the other kind together.
    delimiter, record_delimiter: ['\r\n', '\n', '\r'], bom: true, relax_column_count: true, skip_empty_lines: true,
    skip_records_with_error: true,
    on_skip: (err, raw) => {
      // One bad record can raise several errors (a stray quote per field): report it once.
      const at = Number((err as unknown as { lines?: number } | undefined)?.lines ?? 0);
      if (skipped.at(-1)?.line === at || lastSkip === at) return undefined;
      lastSkip = at;
      skipped.push({ line: at, reject: { code: 'csv_syntax', reason: err?.message ?? 'malformed CSV', ...(raw ? { excerpt: excerpt(raw) } : {}) } });
      return undefined;
    },
  });
  input.on('error', (e) => parser.destroy(e));
  input.pipe(parser);
  let header: string[] | undefined;
  let keys: string[] = [];
  let prevLines = 0;
  const sep = delimiter === '\t' ? '\t' : delimiter;
  // Items leave in batches, one per parsed chunk (whatever the parser holds
  // when the loop would wait for it): one await per row was a tenth of the time.
  let batch: Item[] = [];
  try {
    for await (const { record, lines } of parser as AsyncIterable<{ record: string[]; lines: number }>) {
      if (skipped.length) batch.push(...skipped.splice(0));
      // `lines` is where the record ends; newlines inside quoted fields move its start up.
      let inner = 0;
      for (const f of record) for (let i = f.indexOf('\n'); i !== -1; i = f.indexOf('\n', i + 1)) inner++;
      const line = lines - inner;
      prevLines = lines;
      if (!header) {
        const problem = textProblem(record.join(sep));
        if (problem) {
          yield [...batch, { line, reject: { ...problem, reason: `the header ${problem.reason}` } }];
          return;
        }
        header = headerNames(record);
        keys = header.map((h, i) => `${i ? ',' : '{'}${JSON.stringify(h)}:`);
      } else if (record.length !== header.length) {
        const text = record.join(sep);
        const problem = textProblem(text);
        batch.push(problem
          ? { line, reject: { ...problem, excerpt: excerpt(text) } }
          : { line, reject: { code: 'ragged_row', reason: `has ${record.length} field${record.length === 1 ? '' : 's'}; the header has ${header.length}`, excerpt: excerpt(text) } });
      } else {
        // The JSON text shows every problem the fields have (a NUL comes out as \u0000).
        const json = recordJson(keys, record);
        const problem = textProblem(json);
        batch.push(problem ? { line, reject: { ...problem, excerpt: excerpt(record.join(sep)) } } : { line, json });
      }
      if (batch.length >= 1000 || parser.readableLength === 0) {
        yield batch;
        batch = [];
      }
    }
    batch.push(...skipped.splice(0));
    if (batch.length) yield batch;
  } catch (err) {
    // What the parser cannot skip (a quote left open at the end) ends the file here.
    yield [...batch, ...skipped.splice(0), { line: prevLines + 1, reject: { code: 'csv_syntax', reason: `${(err as Error).message}; the rest of the file was not read` } }];
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

/**
 * Deeper than this, a record is refused: JSON.stringify overflows the stack
 * (a RangeError that failed the whole file) and jsonb has a depth limit of
 * its own. Real records nest a few levels.
 */
export const MAX_DEPTH = 1000;

/** Whether the JSON text nests deeper than MAX_DEPTH; only long texts can. */
function tooDeep(text: string): boolean {
  if (text.length <= 2 * MAX_DEPTH) return false;
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    if (inString) {
      if (ch === 92) i++; // backslash: skip the escaped character
      else if (ch === 34) inString = false;
    } else if (ch === 34) inString = true;
    else if (ch === 123 || ch === 91) {
      if (++depth > MAX_DEPTH) return true;
    } else if (ch === 125 || ch === 93) depth--;
  }
  return false;
}

export function parseRecord(line: number, text: string): Item {
  const problem = textProblem(text);
  if (problem) return { line, reject: { ...problem, excerpt: excerpt(text) } };
  if (tooDeep(text)) return { line, reject: { code: 'too_deep', reason: `nests arrays or objects more than ${MAX_DEPTH} levels deep`, excerpt: excerpt(text) } };
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    return { line, reject: { code: 'invalid_json', reason: (err as Error).message, excerpt: excerpt(text) } };
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    return { line, reject: { code: 'not_an_object', reason: `a record must be a JSON object, not ${Array.isArray(value) ? 'an array' : value === null ? 'null' : typeof value}`, excerpt: excerpt(text) } };
  }
  const json = JSON.stringify(value);
  const bad = jsonProblem(json);
  return bad ? { line, reject: { ...bad, excerpt: excerpt(text) } } : { line, json };
}

async function* jsonItems(input: Readable): AsyncGenerator<Item> {
  input.setEncoding('utf8');
  for await (const el of jsonArrayElements(input as AsyncIterable<string>)) {
    yield el.error ? { line: el.line, reject: { code: 'invalid_json', reason: el.error, excerpt: excerpt(el.text) } } : parseRecord(el.line, el.text);
  }
}

const unreadable = (why: string, cause?: unknown) =>
  new NexusError('import_unreadable', `The workbook cannot be read (${why}); open it in a spreadsheet program and save it again as .xlsx.`, { status: 422, exitCode: 1, cause });

/**
 * A workbook whose ZIP or XML is broken is refused as a whole, with a code,
 * not as an internal error. Some broken ZIPs make exceljs wait for ever once
 * the whole file is read: with the input at its end and no row for
 * `stallMs`, the workbook is given up on.
 */
async function* xlsxItems(input: Readable, sheet: string | undefined, stallMs: number): AsyncGenerator<Item> {
  let ended = false;
  let active = Date.now();
  const touch = () => (active = Date.now());
  input.once('end', () => ((ended = true), touch()));
  const it = workbookItems(input, sheet, touch);
  let timer: NodeJS.Timeout | undefined;
  const stalled = new Promise<never>((_, reject) => {
    timer = setInterval(() => {
      if (ended && Date.now() - active > stallMs) reject(unreadable(`nothing more came out of it after the whole file was read`));
    }, Math.min(250, stallMs));
  });
  stalled.catch(() => undefined);
  try {
    for (;;) {
      const next = await Promise.race([it.next(), stalled]);
      if (next.done) return;
      touch();
      yield next.value;
    }
  } catch (err) {
    throw err instanceof NexusError ? err : unreadable((err as Error)?.message ?? String(err), err);
  } finally {
    clearInterval(timer);
  }
}

async function* workbookItems(input: Readable, sheet: string | undefined, touch: () => void): AsyncGenerator<Item> {
  // Loaded for workbooks only: exceljs adds about 20 MB to every process that imports it.
  const { default: excel } = await import('exceljs');
  const reader = new excel.stream.xlsx.WorkbookReader(input, { worksheets: 'emit', sharedStrings: 'cache', hyperlinks: 'ignore', styles: 'cache', entries: 'ignore' });
  let index = 0;
  for await (const ws of reader) {
    index++;
    const name = (ws as unknown as { name?: string }).name;
    if (sheet ? name !== sheet : index > 1) continue;
    let header: string[] | undefined;
    for await (const row of ws as AsyncIterable<ExcelJS.Row>) {
      touch();
      // row.values is sparse (no entry for an empty cell): Array.from fills the holes.
      const cells = Array.from((row.values as unknown[]).slice(1), (v) => cellValue(v));
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
      const problem = jsonProblem(json);
      yield problem ? { line: row.number, reject: { ...problem, excerpt: excerpt(json) } } : { line: row.number, json };
    }
  }
}

/** Other formats are not parse-bound: their items leave one by one. */
async function* single(items: AsyncGenerator<Item>): AsyncGenerator<Item[]> {
  for await (const item of items) yield [item];
}

/** A file's items in order, in batches. */
/** How long a workbook may stay silent once its file is read (see xlsxItems). */
export const XLSX_STALL_MS = 5000;

export function readItems(input: Readable, format: Format, opts: { sheet?: string; stallMs?: number } = {}): AsyncGenerator<Item[]> {
  switch (format) {
    case 'csv':
      return csvItems(input, ',');
    case 'tsv':
      return csvItems(input, '\t');
    case 'ndjson':
      return single(ndjsonItems(input));
    case 'json':
      return single(jsonItems(input));
    case 'xlsx':
      return single(xlsxItems(input, opts.sheet, opts.stallMs ?? XLSX_STALL_MS));
  }
}
