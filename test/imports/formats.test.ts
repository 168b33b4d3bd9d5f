// Every import format, with the problems real files have: bad rows reported
// by line and kept out while good rows load, quotes and newlines inside
// fields, encoding problems, ragged rows, empty files and files that are not
// what their extension says.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import ExcelJS from 'exceljs';
import { testDatabase } from '../helpers/db.ts';
import { importFile } from '../../src/imports/importer.ts';
import { file } from './files.ts';

const t = await testDatabase();

async function staged(importId: string) {
  return t.query<{ line_number: string; raw: Record<string, unknown> }>('admin', 'SELECT line_number, raw FROM staging.import_raw WHERE import_id = $1 ORDER BY line_number', [importId]);
}
const lines = (s: { rejects: Array<{ line: number; code: string }> }) => s.rejects.map((r) => [r.line, r.code]);

test('csv: quotes, commas and newlines inside fields; ragged rows and bad UTF-8 are rejected with their line', async () => {
  const csv = Buffer.concat([
    Buffer.from('\uFEFFid,name,note\r\n'),
    Buffer.from('1,"Berger, Ada","first line\nsecond ""quoted"" line"\r\n'),
    Buffer.from('2,Bob\r\n'),
    Buffer.from('\r\n'),
    Buffer.from('3,M'), Buffer.from([0xfc]), Buffer.from('ller,latin-1\r\n'),
    Buffer.from('4,Eve,ok,extra\r\n'),
    Buffer.from('5,Zoë,"fine"\r\n'),
  ]);
  const s = await importFile(t.db, { file: file('people.csv', csv), source: 'people' });
  assert.equal(s.rows_loaded, 2);
  assert.equal(s.rows_rejected, 3);
  assert.deepEqual(lines(s), [[4, 'ragged_row'], [6, 'invalid_encoding'], [7, 'ragged_row']]);
  assert.match(s.rejects[0]!.reason, /has 2 fields; the header has 3/);
  const rows = await staged(s.import_id);
  assert.deepEqual(rows.map((r) => Number(r.line_number)), [2, 8]);
  assert.deepEqual(rows[0]!.raw, { id: '1', name: 'Berger, Ada', note: 'first line\nsecond "quoted" line' });
  assert.deepEqual(rows[1]!.raw, { id: '5', name: 'Zoë', note: 'fine' });
  const rejects = await t.query('admin', 'SELECT line_number::int AS line, reason_code FROM nexus.import_rejects WHERE import_id = $1 ORDER BY 1', [s.import_id]);
  assert.deepEqual(rejects, [{ line: 4, reason_code: 'ragged_row' }, { line: 6, reason_code: 'invalid_encoding' }, { line: 7, reason_code: 'ragged_row' }]);
});

test('csv: a stray quote rejects its row only; an unclosed quote at the end is reported', async () => {
  const s = await importFile(t.db, { file: file('quotes.csv', 'a,b\n1,x"y\n2,ok\n3,"never closed\n'), source: 'quotes' });
  assert.equal(s.rows_loaded, 1);
  assert.deepEqual(lines(s), [[2, 'csv_syntax'], [4, 'csv_syntax']]);
});

test('tsv: tabs separate, commas do not', async () => {
  const s = await importFile(t.db, { file: file('codes.tsv', 'code\tlabel\nA\tone, two\nB\n'), source: 'codes' });
  assert.equal(s.format, 'tsv');
  assert.equal(s.rows_loaded, 1);
  assert.deepEqual(lines(s), [[3, 'ragged_row']]);
  assert.deepEqual((await staged(s.import_id))[0]!.raw, { code: 'A', label: 'one, two' });
});

test('ndjson: one object per line; invalid JSON, non-objects and NUL characters are rejected', async () => {
  const body = '{"id":1}\n\n{"id":2,"nested":{"a":[1,2]}}\n{broken\n[1,2]\n{"id":"\\u0000"}\n{"id":3}';
  const s = await importFile(t.db, { file: file('events.ndjson', body), source: 'events' });
  assert.equal(s.rows_loaded, 3);
  assert.deepEqual(lines(s), [[4, 'invalid_json'], [5, 'not_an_object'], [6, 'nul_character']]);
  assert.deepEqual((await staged(s.import_id)).map((r) => Number(r.line_number)), [1, 3, 7]);
});

test('json: an array of objects, streamed; line numbers point at each element', async () => {
  const body = '[\n  {"id": 1, "text": "a ] inside, with \\"quotes\\""},\n  42,\n  {"id": 2,\n   "multi": true},\n  {"id": }\n]\n';
  const s = await importFile(t.db, { file: file('list.json', body), source: 'list' });
  assert.equal(s.rows_loaded, 2);
  assert.deepEqual(lines(s), [[3, 'not_an_object'], [6, 'invalid_json']]);
  const rows = await staged(s.import_id);
  assert.deepEqual(rows.map((r) => [Number(r.line_number), r.raw]), [[2, { id: 1, text: 'a ] inside, with "quotes"' }], [4, { id: 2, multi: true }]]);
  const cut = await importFile(t.db, { file: file('cut.json', '[{"id":1},\n{"id":2'), source: 'list' });
  assert.equal(cut.rows_loaded, 1);
  assert.match(cut.rejects[0]!.reason, /ends before the array is closed/);
});

test('xlsx: the first sheet (or --sheet), row numbers as lines, dates and formulas as values', async () => {
  const wb = new ExcelJS.Workbook();
  const ws = wb.addWorksheet('Visits');
  ws.addRow(['id', 'when', 'count', 'double']);
  ws.addRow([1, new Date(Date.UTC(2026, 0, 2)), 3, { formula: 'C2*2', result: 6 }]);
  ws.addRow([]);
  ws.addRow([2, 'not a date', 4, null, 'beyond the header']);
  ws.addRow([3, null, 5]);
  wb.addWorksheet('Other').addRow(['x']);
  const path = file('visits.xlsx', Buffer.from(await wb.xlsx.writeBuffer()));
  const s = await importFile(t.db, { file: path, source: 'visits' });
  assert.equal(s.rows_loaded, 2);
  assert.deepEqual(lines(s), [[4, 'ragged_row']]);
  const rows = await staged(s.import_id);
  assert.deepEqual(rows.map((r) => [Number(r.line_number), r.raw]), [
    [2, { id: 1, when: '2026-01-02T00:00:00.000Z', count: 3, double: 6 }],
    [5, { id: 3, when: null, count: 5, double: null }],
  ]);
  const other = await importFile(t.db, { file: path, source: 'visits', sheet: 'Other', force: true });
  assert.equal(other.rows_loaded, 0);
});

test('files that are not what their extension says, UTF-16, and empty files are refused before anything loads', async () => {
  const wb = new ExcelJS.Workbook();
  wb.addWorksheet('S').addRow(['a']);
  const xlsx = Buffer.from(await wb.xlsx.writeBuffer());
  const cases: Array<[string, string | Buffer, string]> = [
    ['workbook.csv', xlsx, 'import_format_mismatch'],
    ['data.csv', '[{"a":1}]', 'import_format_mismatch'],
    ['page.csv', '<html><body>hi</body></html>', 'import_format_mismatch'],
    ['lines.json', '{"a":1}\n{"a":2}\n', 'import_format_mismatch'],
    ['text.xlsx', 'a,b\n1,2\n', 'import_format_mismatch'],
    ['image.csv', Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 0, 0, 0]), 'import_format_mismatch'],
    ['wide.csv', Buffer.from('\uFEFFa,b\n', 'utf16le').subarray(0), 'import_encoding'],
    ['empty.csv', '', 'import_empty'],
    ['notes.txt', 'a,b\n', 'import_format_unknown'],
  ];
  cases[6]![1] = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('a,b\n', 'utf16le')]);
  for (const [name, content, code] of cases) {
    await assert.rejects(importFile(t.db, { file: file(name, content), source: 'bad' }), (err: { code?: string }) => err.code === code, name);
  }
  const [n] = await t.query<{ n: number }>('admin', "SELECT count(*)::int AS n FROM staging.import_raw WHERE source = 'bad'");
  assert.equal(n!.n, 0);
  const header = await importFile(t.db, { file: file('header-only.csv', 'a,b\n'), source: 'bad' });
  assert.deepEqual([header.rows_loaded, header.rows_rejected], [0, 0]);
});
