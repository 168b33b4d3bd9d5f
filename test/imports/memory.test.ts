// Memory stays flat whatever the file size: a CSV of a few hundred MB,
// generated here, imported by the real CLI with its JavaScript heap capped
// far below the file's size (anything kept per row would run out of memory),
// while its resident memory is sampled and compared with a tiny import's.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createWriteStream, readFileSync, statSync } from 'node:fs';
import { once } from 'node:events';
import path from 'node:path';
import { testDatabase, testHome } from '../helpers/db.ts';
import { clusterSettingsEnv } from '../helpers/cluster-env.ts';
import { startNexus } from '../helpers/cli.ts';
import { file, scratchDir } from './files.ts';

const t = await testDatabase();
const env = clusterSettingsEnv(testHome(), t.name);
const MB = 1024 * 1024;
/** The old generation of the importing process; the file is three times larger. */
const HEAP_CAP_MB = 100;

async function bigCsv(target: number): Promise<{ file: string; rows: number }> {
  const p = path.join(scratchDir(), 'big.csv');
  const out = createWriteStream(p);
  out.write('id,site,measured_at,value,notes\n');
  const filler = 'lorem ipsum dolor sit amet, '.repeat(18);
  let bytes = 0;
  let rows = 0;
  while (bytes < target) {
    let chunk = '';
    for (let i = 0; i < 2000; i++, rows++) chunk += `${rows},site-${rows % 7},2026-11-${String((rows % 28) + 1).padStart(2, '0')}T08:00:00Z,${rows % 1000},"${filler}${rows}"\n`;
    bytes += chunk.length;
    if (!out.write(chunk)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
  return { file: p, rows };
}

/** Runs `nexus import` and samples its resident set every 50 ms; returns the peak in bytes. */
async function peakRss(args: string[]): Promise<{ code: number | null; peak: number; output: string }> {
  const child = startNexus(args, { ...env, NODE_OPTIONS: `--max-old-space-size=${HEAP_CAP_MB}` });
  let peak = 0;
  const timer = setInterval(() => {
    try {
      const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'));
      if (m) peak = Math.max(peak, Number(m[1]) * 1024);
    } catch {
      // the process has just exited
    }
  }, 50);
  const [code] = (await once(child, 'close')) as [number | null];
  clearInterval(timer);
  return { code, peak, output: child.output() };
}

test('a few hundred MB of CSV import with flat memory', { timeout: 600_000 }, async () => {
  const small = await peakRss(['import', file('small.csv', 'id,v\n1,2\n'), '--source', 'memory', '--no-progress']);
  assert.equal(small.code, 0, small.output);
  const big = await bigCsv(300 * MB);
  const size = statSync(big.file).size;
  const t0 = Date.now();
  const run = await peakRss(['import', big.file, '--source', 'memory', '--json']);
  assert.equal(run.code, 0, run.output.slice(-2000));
  const summary = JSON.parse(run.output.slice(run.output.indexOf('{')));
  assert.equal(summary.rows_loaded, big.rows);
  const growth = run.peak - small.peak;
  process.stderr.write(`# imported ${(size / MB).toFixed(0)} MB (${big.rows} rows) in ${((Date.now() - t0) / 1000).toFixed(1)} s; peak RSS ${(run.peak / MB).toFixed(0)} MB vs ${(small.peak / MB).toFixed(0)} MB for a tiny file\n`);
  // Flat, not proportional: the heap is capped, so the growth is the cap's
  // worth of garbage at most, far below the file's size; and the whole
  // process stays under the 200 MB.
  assert.ok(growth < size / 2, `peak RSS grew by ${(growth / MB).toFixed(0)} MB for a ${(size / MB).toFixed(0)} MB file`);
  assert.ok(run.peak < 200 * MB, `peak RSS ${(run.peak / MB).toFixed(0)} MB (target < 200 MB)`);
  const [n] = await t.query<{ n: number }>('admin', "SELECT count(*)::int AS n FROM staging.import_raw WHERE source = 'memory'");
  assert.equal(n!.n, big.rows + 1);
});
