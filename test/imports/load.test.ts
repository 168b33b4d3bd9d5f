// The load path at scale: line numbers stay exact over many parser chunks
// (quoted newlines, bad rows spread through the file), an import cut off in
// the middle of its COPY leaves nothing in staging and may simply be run
// again, and staging.import_raw still refuses a malformed file hash.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { testDatabase } from '../helpers/db.ts';
import { importFile } from '../../src/imports/importer.ts';
import { file } from './files.ts';

const t = await testDatabase();

test('a CSV over many chunks: every row keeps the line it starts on; bad rows are reported where they are', async () => {
  const parts = ['id,note,value\n'];
  const want: Array<[number, number]> = [];
  const bad: Array<[number, string]> = [];
  let line = 2;
  for (let i = 0; i < 20_000; i++) {
    if (i % 997 === 500) {
      bad.push([line, 'ragged_row']);
      parts.push(`${i},only two\n`);
      line += 1;
    } else if (i % 7 === 0) {
      want.push([i, line]);
      parts.push(`${i},"two\nlines, ""quoted""",${i * 2}\n`);
      line += 2;
    } else {
      want.push([i, line]);
      parts.push(`${i},plain ${'x'.repeat(i % 40)},${i * 2}\n`);
      line += 1;
    }
    if (i % 4000 === 3999) {
      parts.push('\n');
      line += 1;
    }
  }
  const s = await importFile(t.db, { file: file('chunks.csv', parts.join('')), source: 'chunks' });
  assert.ok(s.bytes > 4 * 65536, 'spans several read chunks');
  assert.equal(s.rows_loaded, want.length);
  assert.deepEqual(s.rejects.map((r) => [r.line, r.code]), bad);
  const rows = await t.query<{ id: string; line: number; note: string }>('admin',
    "SELECT raw->>'id' AS id, line_number::int AS line, raw->>'note' AS note FROM staging.import_raw WHERE import_id = $1 ORDER BY line_number", [s.import_id]);
  assert.deepEqual(rows.map((r) => [Number(r.id), r.line]), want);
  assert.equal(rows.find((r) => r.id === '7')!.note, 'two\nlines, "quoted"');
});

test('an import cut off during its COPY leaves nothing in staging; the same file then imports in full', { timeout: 300_000 }, async () => {
  let body = 'id,site,notes\n';
  for (let i = 0; i < 200_000; i++) body += `${i},site-${i % 9},"visit ${i}, ""routine"""\n`;
  const csv = file('cut.csv', body);
  const running = importFile(t.db, { file: csv, source: 'cut' }).then(() => undefined, (err: { code?: string }) => err);
  // Kill the import's server connection once rows are streaming, as a crash or restart would.
  let killed = 0;
  for (let tries = 0; tries < 3000 && !killed; tries++) {
    const r = await t.query<{ n: number }>('admin',
      `SELECT count(pg_terminate_backend(pid))::int AS n FROM pg_stat_progress_copy
        WHERE datname = current_database() AND relid = 'staging.import_raw'::regclass AND tuples_processed > 10000`);
    killed = r[0]!.n;
    if (!killed) await new Promise((ok) => setTimeout(ok, 20));
  }
  assert.equal(killed, 1, 'caught the import during its COPY');
  assert.equal((await running)?.code, 'import_failed');
  const [staged] = await t.query<{ n: number }>('admin', "SELECT count(*)::int AS n FROM staging.import_raw WHERE source = 'cut'");
  assert.equal(staged!.n, 0);

  const [cut] = await t.query<{ status: string; error: string }>('admin', "SELECT status, error FROM nexus.imports WHERE source = 'cut'");
  assert.equal(cut!.status, 'failed', 'recorded through another connection');
  const again = await importFile(t.db, { file: csv, source: 'cut' });
  assert.equal(again.forced, false, 'a cut-off import does not count as imported');
  assert.equal(again.rows_loaded, 200_000);
  const [n] = await t.query<{ n: number }>('admin', "SELECT count(*)::int AS n FROM staging.import_raw WHERE source = 'cut'");
  assert.equal(n!.n, 200_000);
});

test('staging.import_raw refuses a file hash that is not 64 lowercase hex digits', async () => {
  const insert = (sha: string) => t.query('nexus_import',
    "INSERT INTO staging.import_raw (source, import_id, file_sha256, line_number, raw) VALUES ('hash', gen_random_uuid(), $1, 2, '{}')", [sha]);
  await insert('0123456789abcdef'.repeat(4));
  for (const sha of ['0123456789ABCDEF'.repeat(4), 'a'.repeat(63), 'a'.repeat(65), `${'a'.repeat(63)}g`, `${'a'.repeat(63)}é`, `${'a'.repeat(63)}\n`, '']) {
    await assert.rejects(insert(sha), (err: { code?: string }) => err.code === '23514', JSON.stringify(sha));
  }
});

test('a lone UTF-16 surrogate escape rejects its record only (jsonb would refuse the whole COPY)', async () => {
  const body = '{"id":1}\n{"id":2,"name":"\\ud800"}\n{"id":3,"pair":"\\ud83d\\ude00","text":"\\\\ud800"}\n';
  const s = await importFile(t.db, { file: file('surrogates.ndjson', body), source: 'surrogates' });
  assert.deepEqual(s.rejects.map((r) => [r.line, r.code]), [[2, 'invalid_encoding']]);
  const rows = await t.query<{ raw: Record<string, unknown> }>('admin', 'SELECT raw FROM staging.import_raw WHERE import_id = $1 ORDER BY line_number', [s.import_id]);
  assert.deepEqual(rows.map((r) => r.raw), [{ id: 1 }, { id: 3, pair: '😀', text: '\\ud800' }]);
});
