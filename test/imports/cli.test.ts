// `nexus import` as a person runs it: a summary at the end, bad rows listed
// with their lines, the same file refused a second time (by sha256) unless
// --force, usage errors without stack traces; and the progress bar's line.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { testDatabase, testHome } from '../helpers/db.ts';
import { clusterSettingsEnv } from '../helpers/cluster-env.ts';
import { nexus } from '../helpers/cli.ts';
import { progressBar } from '../../src/imports/progress.ts';
import { file } from './files.ts';

const t = await testDatabase();
const env = clusterSettingsEnv(testHome(), t.name);

test('import → summary; the same file again is refused; --force imports it again', async () => {
  const csv = file('clinics.csv', 'id,name\nc1,North\nc2\nc3,South\n');
  const first = await nexus(['import', csv, '--source', 'clinics'], env);
  assert.equal(first.code, 3, `rows were rejected: exit 3\n${first.stderr}`);
  assert.match(first.stdout, /rows loaded\s+2\n/);
  assert.match(first.stdout, /rows rejected\s+1\n/);
  assert.match(first.stdout, /line 3: has 1 field; the header has 2/);
  assert.match(first.stdout, /rows\/s/);

  const again = await nexus(['import', csv, '--source', 'clinics'], env);
  assert.equal(again.code, 1);
  assert.match(again.stderr, /already imported as [0-9a-f-]{36} into "clinics".*pass --force/);
  assert.doesNotMatch(again.stderr, /\n\s+at /, 'no stack trace');

  const forced = await nexus(['import', csv, '--source', 'clinics', '--force', '--json'], env);
  assert.equal(forced.code, 3, forced.stderr);
  const summary = JSON.parse(forced.stdout);
  assert.equal(summary.forced, true);
  assert.equal(summary.rows_loaded, 2);
  assert.deepEqual(summary.rejects.map((r: { line: number }) => r.line), [3]);

  const imports = await t.query<{ status: string; forced: boolean; rows_loaded: string }>('admin', "SELECT status, forced, rows_loaded FROM nexus.imports WHERE source = 'clinics' ORDER BY started_at");
  assert.deepEqual(imports.map((r) => [r.status, r.forced, Number(r.rows_loaded)]), [['done', false, 2], ['done', true, 2]]);
  const [n] = await t.query<{ n: number }>('admin', "SELECT count(*)::int AS n FROM staging.import_raw WHERE source = 'clinics'");
  assert.equal(n!.n, 4);
});

test('a clean import exits 0; a wrong --format or a missing file is a usage error', async () => {
  const ok = await nexus(['import', file('ok.ndjson', '{"a":1}\n'), '--source', 'ok'], env);
  assert.equal(ok.code, 0, ok.stderr);
  const badFormat = await nexus(['import', file('x.csv', 'a\n1\n'), '--source', 'ok', '--format', 'parquet'], env);
  assert.equal(badFormat.code, 2);
  assert.match(badFormat.stderr, /--format parquet is not one of csv, tsv, json, ndjson, xlsx/);
  const missing = await nexus(['import', '/nonexistent/file.csv', '--source', 'ok'], env);
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /cannot be read/);
  const badSource = await nexus(['import', file('y.csv', 'a\n1\n'), '--source', 'Bad Name'], env);
  assert.equal(badSource.code, 2);
  const noSource = await nexus(['import', file('z.csv', 'a\n1\n')], env);
  assert.equal(noSource.code, 2);
  assert.match(noSource.stderr, /--source/);
});

test('the progress bar shows percentage, rows, rows/s and ETA', async () => {
  const out = new PassThrough();
  let text = '';
  out.on('data', (d) => (text += d));
  const bar = progressBar('big.csv', { stream: out, force: true });
  bar.update({ bytes: 500, totalBytes: 1000, rows: 4000, rejected: 2 });
  await new Promise((r) => setTimeout(r, 250));
  bar.update({ bytes: 1000, totalBytes: 1000, rows: 8000, rejected: 2 });
  bar.stop();
  assert.match(text, /big\.csv \[.*\] 100% \| 8000 rows, 2 rejected \| \d+ rows\/s \| ETA \d+s/);
});
