// One measured phase of `npm run bench:import`, in its own process so that
// its peak resident memory (VmHWM) is its own. Prints {rows, ms, peakBytes}.
//
//   copy   the CSV file itself, `COPY … (FORMAT csv)` into an unlogged table
//          of six text columns: the literal floor (no JSON, no WAL,
//          no index, no constraint);
//   floor  the same records already rendered as staging.import_raw's COPY
//          text (source, import id, hash, line, JSON), `COPY … FROM STDIN`
//          into a table made `LIKE staging.import_raw INCLUDING ALL` (same
//          columns, defaults, identity, check, indexes, WAL), in one
//          transaction: what PostgreSQL can do at best for these rows into a
//          comparable table, with no parsing, checking or rendering at all;
//   import the real importer (hash, sniff, parse, check, render, COPY into
//          staging.import_raw, registry, one transaction).

import { createReadStream, readFileSync } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { from as copyFrom } from 'pg-copy-streams';
import { loadSettings } from '../src/core/settings.ts';
import { openDatabase } from '../src/db/connection.ts';
import { importFile } from '../src/imports/importer.ts';

const [phase, file] = process.argv.slice(2);
const settings = loadSettings();
const { db } = await openDatabase(settings);
let rows = 0;
let t0 = performance.now();
if (phase === 'copy') {
  const c = await db.connect('nexus_owner');
  await c.query('CREATE UNLOGGED TABLE IF NOT EXISTS public.bench_copy (id text, site text, measured_at text, kind text, value text, notes text)');
  await c.query('TRUNCATE public.bench_copy');
  t0 = performance.now();
  const copy = c.query(copyFrom('COPY public.bench_copy FROM STDIN WITH (FORMAT csv, HEADER true)'));
  await pipeline(createReadStream(file!), copy);
  rows = Number(copy.rowCount);
  await c.end();
} else if (phase === 'floor') {
  const admin = await db.connect('admin');
  const c = await db.connect('nexus_owner');
  // Fresh each round (untimed): the same unique (import_id, line) rows go in
  // every time, and an empty table only makes the floor faster.
  await c.query('DROP TABLE IF EXISTS public.bench_floor');
  await c.query('CREATE TABLE public.bench_floor (LIKE staging.import_raw INCLUDING ALL)');
  await admin.query('CHECKPOINT');
  await admin.end();
  t0 = performance.now();
  await c.query('BEGIN');
  const copy = c.query(copyFrom('COPY public.bench_floor (source, import_id, file_sha256, line_number, raw) FROM STDIN'));
  await pipeline(createReadStream(file!), copy);
  await c.query('COMMIT');
  rows = Number(copy.rowCount);
  await c.end();
} else if (phase === 'import') {
  // Both phases that write WAL start from a checkpoint, not in the middle of one.
  const admin = await db.connect('admin');
  await admin.query('CHECKPOINT');
  await admin.end();
  t0 = performance.now();
  const s = await importFile(db, { file: file!, source: 'bench', force: true });
  rows = s.rows_loaded;
} else {
  throw new Error(`unknown phase ${phase}`);
}
const ms = performance.now() - t0;
const peak = Number(/VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'))![1]) * 1024;
await db.close();
process.stdout.write(JSON.stringify({ rows, ms, peakBytes: peak }) + '\n');
