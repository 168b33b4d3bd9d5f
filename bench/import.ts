// npm run bench:import — the import door's throughput and memory.
//
// A CSV of N rows (default 1,000,000; FIELD_DATA-like measurements with a
// quoted notes field) is loaded twice in the same run, each in its own
// process: a raw `COPY … FROM STDIN (FORMAT csv)` into a plain unlogged
// table (the floor), and `nexus import` (parse, validate, JSON per row,
// COPY into staging.import_raw). Targets: rows/s ratio ≥ 0.5, peak memory
// of the import under 200 MB. Rounds alternate and the medians count.
//
//   NEXUS_BENCH_IMPORT_ROWS (1000000) NEXUS_BENCH_ROUNDS (3)

import { spawn } from 'node:child_process';
import { createWriteStream, statSync } from 'node:fs';
import { once } from 'node:events';
import path from 'node:path';
import { barChart, benchEnv, median, recordResults, BENCH_DIR } from './lib.ts';

const num = (v: string | undefined, d: number) => (v && /^\d+$/.test(v) ? Number(v) : d);
// Benchmarks are run by hand; these knobs are read here, as the CLI does for settings.
const ROWS = num(process.env.NEXUS_BENCH_IMPORT_ROWS, 1_000_000);
const ROUNDS = num(process.env.NEXUS_BENCH_ROUNDS, 3);
const MB = 1024 * 1024;

const env = await benchEnv();
try {
  const file = path.join(env.home, 'bench.csv');
  const out = createWriteStream(file);
  out.write('id,site,measured_at,kind,value,notes\n');
  const sites = ['north', 'south', 'clinic'];
  for (let i = 0; i < ROWS; ) {
    let chunk = '';
    for (let j = 0; j < 5000 && i < ROWS; j++, i++) {
      chunk += `${i},${sites[i % 3]},2026-${String((i % 12) + 1).padStart(2, '0')}-${String((i % 28) + 1).padStart(2, '0')}T08:${String(i % 60).padStart(2, '0')}:00Z,pulse_bpm,${50 + (i % 70)},"visit ${i}, ""routine"""\n`;
    }
    if (!out.write(chunk)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
  const size = statSync(file).size;
  process.stderr.write(`bench:import: ${ROWS} rows, ${(size / MB).toFixed(1)} MB\n`);

  const run = (phase: string) =>
    new Promise<{ rows: number; ms: number; peakBytes: number }>((resolve, reject) => {
      const child = spawn(process.execPath, ['--import', 'tsx', path.join(BENCH_DIR, 'import-phase.ts'), phase, file], {
        env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env.env }, stdio: ['ignore', 'pipe', 'inherit'],
      });
      let text = '';
      child.stdout.on('data', (d) => (text += d));
      child.on('close', (code) => (code === 0 ? resolve(JSON.parse(text)) : reject(new Error(`${phase} exited with ${code}`))));
    });

  const copy: Array<{ rows: number; ms: number; peakBytes: number }> = [];
  const table: typeof copy = [];
  const imp: typeof copy = [];
  for (let r = 0; r < ROUNDS; r++) {
    copy.push(await run('copy'));
    table.push(await run('table'));
    imp.push(await run('import'));
    process.stderr.write(`  round ${r + 1}: copy ${Math.round(copy[r]!.ms)} ms, into import_raw in SQL ${Math.round(table[r]!.ms)} ms, import ${Math.round(imp[r]!.ms)} ms (${imp[r]!.rows} rows)\n`);
  }
  const rate = (xs: typeof copy) => median(xs.map((x) => (x.rows / x.ms) * 1000));
  const copyRate = rate(copy);
  const importRate = rate(imp);
  const tableRate = rate(table);
  const ratio = importRate / copyRate;
  const peak = Math.max(...imp.map((x) => x.peakBytes));
  const lines = [
    `${ROWS.toLocaleString('en')}-row CSV (${(size / MB).toFixed(1)} MB), ${ROUNDS} rounds, medians; each phase in its own process.`,
    '',
    '| phase | rows/s | peak RSS |',
    '|---|---|---|',
    `| raw \`COPY … (FORMAT csv)\` into an unlogged table | ${Math.round(copyRate).toLocaleString('en')} | ${(Math.max(...copy.map((x) => x.peakBytes)) / MB).toFixed(0)} MB |`,
    `| the same rows into staging.import_raw inside the server (\`INSERT … SELECT to_jsonb(…)\`: the target table's floor) | ${Math.round(tableRate).toLocaleString('en')} | — |`,
    `| \`nexus import\` into staging.import_raw | ${Math.round(importRate).toLocaleString('en')} | ${(peak / MB).toFixed(0)} MB |`,
    '',
    `Import vs the target table's floor: ${(importRate / tableRate).toFixed(2)}.`,
    `Ratio import/COPY: **${ratio.toFixed(2)}** (target ≥ 0.5: ${ratio >= 0.5 ? 'met' : 'not met'}); import peak memory ${(peak / MB).toFixed(0)} MB (target < 200 MB: ${peak < 200 * MB ? 'met' : 'not met'}).`,
  ];
  const chart = barChart('import.svg', `Import of ${ROWS.toLocaleString('en')} CSV rows`, 'rows/s', [
    { label: 'raw COPY (floor)', value: copyRate },
    { label: 'into import_raw in SQL', value: tableRate },
    { label: 'nexus import', value: importRate },
  ]);
  recordResults('Import (bench:import)', 'npm run bench:import', lines, chart);
  process.stdout.write(lines.join('\n') + '\n');
} finally {
  await env.close();
}
