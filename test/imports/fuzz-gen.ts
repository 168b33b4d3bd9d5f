// Generators of hostile import files for the fuzz test: valid files built
// from known records (so the rows that must load can be counted without the
// importer's parser), and byte-level mutations of them. Seeded through the
// sync fuzz test's `rng`, so a failure can be replayed.

import ExcelJS from 'exceljs';
import { rng, nastyValue, type Rand } from '../sync/fuzz-gen.ts';

export { rng, type Rand };

export const pick = <T>(r: Rand, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
const int = (r: Rand, n: number) => Math.floor(r() * n);

/** Cell text people put in files: plain words, delimiters, quotes, newlines, non-ASCII, invisible characters. */
const CELLS = [
  'plain', '', ' ', 'Zoë Müller', '北京', '🙂', 'a,b', 'a\tb', 'say "hi"', '"', '""', 'line1\nline2', 'line1\r\nline2', 'cr\ronly',
  "O'Brien", '\\', '\\u0000', '1e309', '-0', '=SUM(A1)', '\u202e', '\u00a0', '\ufeff', '{"a":1}', '[1]', '<b>x</b>', '__proto__',
];
/** Cell text that no import can store or read back: a row holding it is rejected, never loaded. */
const POISON = ['\u0000', 'nul\u0000inside', '\ud800'];

export interface Generated {
  name: string;
  bytes: Buffer;
  /** Rows the importer must load, when it can be known without its parser. */
  expectLoaded?: number;
}

/** A cell value for a record; poisoned ones mark their row as one that cannot load. */
function cell(r: Rand): { text: string; poisoned: boolean } {
  const x = r();
  if (x < 0.04) return { text: pick(r, POISON), poisoned: true };
  if (x < 0.45) return { text: pick(r, CELLS), poisoned: false };
  if (x < 0.455) return { text: 'x'.repeat(int(r, 300_000)), poisoned: false };
  return { text: `v${int(r, 1e6)}`, poisoned: false };
}

function quoteField(s: string, delimiter: string, r: Rand): string {
  const needs = s.includes(delimiter) || s.includes('"') || s.includes('\n') || s.includes('\r') || s.includes('\ufeff') || r() < 0.1;
  return needs ? `"${s.replaceAll('"', '""')}"` : s;
}

/**
 * A valid CSV or TSV from known rows, with the variety real files have: a
 * BOM, CRLF, LF or mixed line ends, blank lines, empty or duplicate header
 * names, rows with too few or too many fields. The expected count is the
 * rows with the header's width and no poisoned cell.
 */
export function validDelimited(r: Rand, delimiter: ',' | '\t'): Generated {
  const wide = r() < 0.05;
  const cols = wide ? 1000 + int(r, 3000) : 2 + int(r, 8);
  const header = Array.from({ length: cols }, (_, i) => pick(r, ['id', 'name', '', ' ', 'id_2', 'Name', `c${i}`, `c${i}`, 'näme', '__proto__', 'a"b']));
  const rows = wide ? 1 + int(r, 3) : int(r, 40);
  const eol = () => pick(r, r() < 0.7 ? ['\n'] : ['\n', '\r\n', '\r\n']);
  const fixedEol = pick(r, ['\n', '\r\n', 'mixed']);
  const end = () => (fixedEol === 'mixed' ? eol() : fixedEol);
  let text = (r() < 0.2 ? '\ufeff' : '') + header.map((h) => quoteField(h, delimiter, r)).join(delimiter) + end();
  let loaded = 0;
  for (let i = 0; i < rows; i++) {
    if (r() < 0.05) text += end();
    const width = r() < 0.1 ? Math.max(1, cols + pick(r, [-1, 1, 2])) : cols;
    const cells = Array.from({ length: width }, () => cell(r));
    if (width === cols && !cells.some((c) => c.poisoned)) loaded++;
    text += cells.map((c) => quoteField(c.text, delimiter, r)).join(delimiter) + (i < rows - 1 || r() < 0.8 ? end() : '');
  }
  return { name: delimiter === ',' ? 'data.csv' : 'data.tsv', bytes: Buffer.from(text), expectLoaded: loaded };
}

/** Rejected as a whole by jsonb or our checks: the text of a value with a NUL or a lone surrogate. */
function poisonedJson(json: string): boolean {
  return /(?<!\\)(?:\\\\)*\\(?:u0000|ud[89a-f])/i.test(json) || json.includes('\uFFFD');
}

function record(r: Rand): unknown {
  const x = r();
  if (x < 0.06) return nastyValue(r); // often not an object: rejected as not_an_object
  const o: Record<string, unknown> = { id: int(r, 1e6) };
  for (let i = int(r, 5); i > 0; i--) o[String(pick(r, CELLS))] = r() < 0.5 ? cell(r).text : nastyValue(r);
  return o;
}

function loads(value: unknown): boolean {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  return !poisonedJson(JSON.stringify(value));
}

/** A valid JSON array of records (some not objects), compact or pretty. */
export function validJson(r: Rand): Generated {
  const values = Array.from({ length: int(r, 40) }, () => record(r));
  const text = r() < 0.5 ? JSON.stringify(values) : JSON.stringify(values, null, 2);
  return { name: 'data.json', bytes: Buffer.from((r() < 0.1 ? '\ufeff' : '') + text), expectLoaded: values.filter(loads).length };
}

/** Valid NDJSON: one value per line, blank lines, CRLF or LF. */
export function validNdjson(r: Rand): Generated {
  const values = Array.from({ length: 1 + int(r, 40) }, () => record(r));
  if (values[0] === null || typeof values[0] !== 'object' || Array.isArray(values[0])) values[0] = { first: true };
  const eol = pick(r, ['\n', '\r\n']);
  const text = values.map((v) => JSON.stringify(v) + (r() < 0.05 ? eol : '')).join(eol);
  return { name: 'data.ndjson', bytes: Buffer.from(text), expectLoaded: values.filter(loads).length };
}

/** A small workbook; its rows' count is known for the unmutated file. */
export async function validXlsx(r: Rand): Promise<Generated> {
  const wb = new ExcelJS.Workbook();
  const ws = wb.addWorksheet(pick(r, ['Sheet1', 'Données', 'a b']));
  const cols = 1 + int(r, 6);
  const header = Array.from({ length: cols }, (_, i) => pick(r, ['id', '', 'id', `c${i}`, 'date', '__proto__']));
  ws.addRow(header);
  const rows = int(r, 30);
  // A blank header row is skipped like any blank row: the first data row becomes the header.
  const expectLoaded = header.every((h) => h === '') ? Math.max(0, rows - 1) : rows;
  for (let i = 0; i < rows; i++) {
    ws.addRow(Array.from({ length: cols }, () => pick(r, [int(r, 1000), 'text', 'Zoë', new Date(Date.UTC(2026, 0, 1 + int(r, 300))), true, 1.5, `v${int(r, 1e6)}`])));
  }
  return { name: 'data.xlsx', bytes: Buffer.from(await wb.xlsx.writeBuffer()), expectLoaded };
}

const MUTATIONS = ['flip', 'truncate', 'nul', 'bad_utf8', 'bom', 'crlf', 'quote', 'splice', 'delete', 'duplicate'] as const;

/** The file with a few byte-level injuries; what it must load is no longer known. */
export function mutate(r: Rand, g: Generated): Generated & { how: string } {
  let b = Buffer.from(g.bytes);
  const hows: string[] = [];
  for (let n = 1 + int(r, 3); n > 0; n--) {
    const how = pick(r, MUTATIONS);
    const at = int(r, b.length + 1);
    hows.push(`${how}@${at}`);
    const insert = (x: Buffer) => (b = Buffer.concat([b.subarray(0, at), x, b.subarray(at)]));
    switch (how) {
      case 'flip':
        if (b.length) b[Math.min(at, b.length - 1)]! ^= 1 << int(r, 8);
        break;
      case 'truncate': b = b.subarray(0, at); break;
      case 'nul': insert(Buffer.from([0])); break;
      case 'bad_utf8': insert(Buffer.from(pick(r, [[0xff], [0xc3], [0xe2, 0x82], [0xed, 0xa0, 0x80], [0xc0, 0xaf], [0xf8, 0x88, 0x80, 0x80, 0x80]]))); break;
      case 'bom': insert(Buffer.from(pick(r, [[0xef, 0xbb, 0xbf], [0xff, 0xfe], [0xfe, 0xff]]))); break;
      case 'crlf': insert(Buffer.from(pick(r, ['\r', '\r\n', '\n', '\n\n\n', '\r\r']))); break;
      case 'quote': insert(Buffer.from(pick(r, ['"', '""', '"x', '\\"', '{', '[', ']', '}', ',', '\t', ':']))); break;
      case 'splice': insert(Buffer.from(Array.from({ length: 1 + int(r, 64) }, () => int(r, 256)))); break;
      case 'delete': b = Buffer.concat([b.subarray(0, at), b.subarray(at + 1 + int(r, 32))]); break;
      case 'duplicate': insert(b.subarray(int(r, at + 1), at)); break;
    }
  }
  return { name: g.name, bytes: b, how: hows.join(',') };
}

/** Whole files that are hostile by construction, not by injury. */
export function hostileFile(r: Rand): Generated & { how: string } {
  const cases: Array<() => Generated & { how: string }> = [
    () => ({ how: 'empty', name: pick(r, ['e.csv', 'e.tsv', 'e.json', 'e.ndjson', 'e.xlsx']), bytes: Buffer.alloc(0) }),
    () => ({ how: 'blank', name: pick(r, ['b.csv', 'b.tsv', 'b.json', 'b.ndjson']), bytes: Buffer.from(pick(r, [' ', '\n\n\n', '\r\n', '\ufeff', '\t \n'])) }),
    () => ({ how: 'json_scalar', name: 's.json', bytes: Buffer.from(pick(r, ['"text"', '42', 'null', 'true', '-1e400', '{}', '{"a":1}'])) }),
    () => ({ how: 'ndjson_scalars', name: 's.ndjson', bytes: Buffer.from('{"a":1}\n' + pick(r, ['"text"', '42', 'null', '[]', '[{"a":1}]', '{', '}'])) }),
    () => {
      const d = 1000 + int(r, 200_000);
      const closed = r() < 0.7;
      return { how: `deep_json_${d}${closed ? '' : '_unclosed'}`, name: 'deep.json', bytes: Buffer.from(`[{"ok":1},{"a":${'['.repeat(d)}1${closed ? ']'.repeat(d) + '}]' : ''}`) };
    },
    () => {
      const d = 1000 + int(r, 200_000);
      return { how: `deep_ndjson_${d}`, name: 'deep.ndjson', bytes: Buffer.from(`{"ok":1}\n{"a":${'{"a":'.repeat(d)}1${'}'.repeat(d)}}\n{"ok":2}\n`) };
    },
    () => ({ how: 'huge_field', name: 'huge.csv', bytes: Buffer.from(`a,b\n1,"${'x'.repeat(2_000_000 + int(r, 4_000_000))}"\n2,y\n`) }),
    () => ({ how: 'huge_unquoted_line', name: 'huge.tsv', bytes: Buffer.from(`a\tb\n${'y'.repeat(3_000_000)}\n`) }),
    () => {
      const n = 5000 + int(r, 10_000);
      return { how: `many_columns_${n}`, name: 'wide.csv', bytes: Buffer.from(Array.from({ length: n }, (_, i) => `c${i % 7}`).join(',') + '\n' + '1,'.repeat(n - 1) + '1\n') };
    },
    () => ({ how: 'unbalanced_quote', name: 'q.csv', bytes: Buffer.from(`a,b\n1,"open\n${'2,x\n'.repeat(int(r, 5000))}`) }),
    () => ({ how: 'zip_garbage', name: 'z.xlsx', bytes: Buffer.concat([Buffer.from([0x50, 0x4b, 0x03, 0x04]), Buffer.from(Array.from({ length: int(r, 4096) }, () => int(r, 256)))]) }),
    () => ({ how: 'zip_only_eocd', name: 'z.xlsx', bytes: Buffer.from([0x50, 0x4b, 0x03, 0x04, ...new Array(22).fill(0)]) }),
    () => ({ how: 'all_nul', name: pick(r, ['n.csv', 'n.json', 'n.ndjson']), bytes: Buffer.alloc(1 + int(r, 10_000)) }),
    () => ({ how: 'nul_after_sniff', name: 'n.csv', bytes: Buffer.concat([Buffer.from('a,b\n' + '1,2\n'.repeat(3000)), Buffer.from([0]), Buffer.from(',3\n')]) }),
    () => ({ how: 'utf16_no_bom', name: 'w.csv', bytes: Buffer.from('a,b\n1,2\n', 'utf16le') }),
  ];
  return pick(r, cases)();
}

/** Content of one format under another format's name. */
export function liar(r: Rand, g: Generated): Generated & { how: string } {
  const name = pick(r, ['x.csv', 'x.tsv', 'x.json', 'x.ndjson', 'x.jsonl', 'x.xlsx', 'x.CSV', 'x.txt', 'x', 'x.csv.xlsx']);
  return { name, bytes: g.bytes, how: `${g.name} named ${name}` };
}
