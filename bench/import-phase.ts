// One measured phase of `npm run bench:import`, in its own process so that
// its peak resident memory (VmHWM) is its own: `copy` streams the CSV into
// a plain table with COPY … (FORMAT csv) — the floor —, `table` moves those
// rows into staging.import_raw inside the server (the target table's floor),
// and `import` runs the real importer. Prints {rows, ms, peakBytes} as JSON.

import { createReadStream, readFileSync } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { from as copyFrom } from 'pg-copy-streams';
import { loadSettings } from '../src/core/settings.ts';
import { openDatabase } from '../src/db/connection.ts';
import { importFile } from '../src/imports/importer.ts';

const [phase, file] = process.argv.slice(2);
const settings = loadSettings();
const { db } = await openDatabase(settings);
const t0 = performance.now();
let rows = 0;
if (phase === 'copy') {
  const c = await db.connect('nexus_owner');
  await c.query('CREATE UNLOGGED TABLE IF NOT EXISTS public.bench_copy (id text, site text, measured_at text, kind text, value text, notes text)');
  await c.query('TRUNCATE public.bench_copy');
  const copy = c.query(copyFrom('COPY public.bench_copy FROM STDIN WITH (FORMAT csv, HEADER true)'));
  await pipeline(createReadStream(file!), copy);
  rows = Number(copy.rowCount);
  await c.end();
} else if (phase === 'table') {
  // The target table's own floor: the rows COPY loaded, turned into JSON by
  // the server and inserted into staging.import_raw (its indexes, WAL), no JavaScript.
  const c = await db.connect('nexus_owner');
  const r = await c.query(
    `INSERT INTO staging.import_raw (source, import_id, file_sha256, line_number, raw)
     SELECT 'bench-floor', gen_random_uuid(), repeat('0', 64), row_number() OVER () + 1, to_jsonb(b) FROM public.bench_copy b`);
  rows = r.rowCount ?? 0;
  await c.end();
} else {
  const s = await importFile(db, { file: file!, source: 'bench', force: true });
  rows = s.rows_loaded;
}
const ms = performance.now() - t0;
const peak = Number(/VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'))![1]) * 1024;
await db.close();
process.stdout.write(JSON.stringify({ rows, ms, peakBytes: peak }) + '\n');
