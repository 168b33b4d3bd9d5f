// npm run bench:import — the import door's throughput and memory.
//
// A CSV of N rows (default 1,000,000; FIELD_DATA-like measurements with a
// quoted notes field) is loaded three ways in the same run, each in its own
// process (see import-phase.ts): `nexus import` into staging.import_raw;
// the floor, a raw `COPY … FROM STDIN` of the same rows already rendered as
// import_raw's COPY text into a table made LIKE staging.import_raw
// INCLUDING ALL (same columns, check, indexes, WAL); and, for reference, a
// raw `COPY … (FORMAT csv)` of the file into an unlogged table of text
// columns (no JSON, no WAL, no index: the issue's literal floor). Targets:
// rows/s ratio import/floor ≥ 0.5, peak memory of the import under 200 MB.
// Rounds alternate and the medians count.
//
//   NEXUS_BENCH_IMPORT_ROWS (1000000) NEXUS_BENCH_ROUNDS (3)

import { spawn } from 'node:child_process';
import { createHash, randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream, readFileSync, statSync } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { once } from 'node:events';
import os from 'node:os';
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
  const rowsFile = path.join(env.home, 'bench.copy');
  const out = createWriteStream(file);
  out.write('id,site,measured_at,kind,value,notes\n');
  const sites = ['north', 'south', 'clinic'];
  const record = (i: number) => ({
    id: String(i), site: sites[i % 3]!,
    measured_at: `2026-${String((i % 12) + 1).padStart(2, '0')}-${String((i % 28) + 1).padStart(2, '0')}T08:${String(i % 60).padStart(2, '0')}:00Z`,
    kind: 'pulse_bpm', value: String(50 + (i % 70)), notes: `visit ${i}, "routine"`,
  });
  for (let i = 0; i < ROWS; ) {
    let chunk = '';
    for (let j = 0; j < 5000 && i < ROWS; j++, i++) {
      const r = record(i);
      chunk += `${r.id},${r.site},${r.measured_at},${r.kind},${r.value},"${r.notes.replaceAll('"', '""')}"\n`;
    }
    if (!out.write(chunk)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
  const size = statSync(file).size;
  // The floor's input: the same records as the importer sends them (its
  // COPY text: source, import id, the file's hash, line, JSON), made here,
  // untimed, so the floor phase does nothing but COPY.
  const hash = createHash('sha256');
  await pipeline(createReadStream(file), hash);
  const prefix = `bench-floor\t${randomUUID()}\t${hash.digest('hex')}\t`;
  const rowsOut = createWriteStream(rowsFile);
  for (let i = 0; i < ROWS; ) {
    let chunk = '';
    for (let j = 0; j < 5000 && i < ROWS; j++, i++) chunk += `${prefix}${i + 2}\t${JSON.stringify(record(i)).replaceAll('\\', '\\\\')}\n`;
    if (!rowsOut.write(chunk)) await once(rowsOut, 'drain');
  }
  rowsOut.end();
  await once(rowsOut, 'finish');
  process.stderr.write(`bench:import: ${ROWS} rows, ${(size / MB).toFixed(1)} MB of CSV, ${(statSync(rowsFile).size / MB).toFixed(1)} MB as import_raw COPY text\n`);

  type Result = { rows: number; ms: number; peakBytes: number };
  const run = (phase: string, input: string) =>
    new Promise<Result>((resolve, reject) => {
      const child = spawn(process.execPath, ['--import', 'tsx', path.join(BENCH_DIR, 'import-phase.ts'), phase, input], {
        env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env.env }, stdio: ['ignore', 'pipe', 'inherit'],
      });
      let text = '';
      child.stdout.on('data', (d) => (text += d));
      child.on('close', (code) => (code === 0 ? resolve(JSON.parse(text)) : reject(new Error(`${phase} exited with ${code}`))));
    });

  const load0 = os.loadavg()[0]!;
  const copy: Result[] = [];
  const floor: Result[] = [];
  const imp: Result[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    floor.push(await run('floor', rowsFile));
    imp.push(await run('import', file));
    copy.push(await run('copy', file));
    process.stderr.write(`  round ${r + 1}: floor ${Math.round(floor[r]!.ms)} ms, import ${Math.round(imp[r]!.ms)} ms (${imp[r]!.rows} rows), csv copy ${Math.round(copy[r]!.ms)} ms; load ${os.loadavg()[0]!.toFixed(1)}\n`);
  }
  // What a person running `nexus import` gets: the whole CLI (every command
  // group is loaded at start), once, its peak read from /proc while it runs.
  // The CLI loads every folder of the tree: one being edited elsewhere can break it, not this bench.
  const cli = await new Promise<Result>((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(process.execPath, [path.join(BENCH_DIR, '..', 'bin', 'nexus.js'), 'import', file, '--source', 'bench', '--force', '--json', '--no-progress'], {
      env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env.env }, stdio: ['ignore', 'pipe', 'inherit'],
    });
    let text = '';
    let peakBytes = 0;
    const timer = setInterval(() => {
      try {
        peakBytes = Math.max(peakBytes, Number(/VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))?.[1] ?? 0) * 1024);
      } catch {
        // it has just exited
      }
    }, 50);
    child.stdout.on('data', (d) => (text += d));
    child.on('close', (code) => {
      clearInterval(timer);
      if (code !== 0) return reject(new Error(`nexus import exited with ${code}`));
      resolve({ rows: JSON.parse(text).rows_loaded, ms: performance.now() - t0, peakBytes });
    });
  }).catch((err: Error) => err);
  if (!(cli instanceof Error)) process.stderr.write(`  nexus import (CLI): ${Math.round(cli.ms)} ms, peak ${(cli.peakBytes / MB).toFixed(0)} MB\n`);
  const load1 = os.loadavg()[0]!;
  const rate = (xs: Result[]) => median(xs.map((x) => (x.rows / x.ms) * 1000));
  const copyRate = rate(copy);
  const floorRate = rate(floor);
  const importRate = rate(imp);
  const ratio = importRate / floorRate;
  const peak = Math.max(...imp.map((x) => x.peakBytes));
  const mb = (xs: Result[]) => `${(Math.max(...xs.map((x) => x.peakBytes)) / MB).toFixed(0)} MB`;
  const n = (v: number) => Math.round(v).toLocaleString('en');
  const lines = [
    `${ROWS.toLocaleString('en')}-row CSV (${(size / MB).toFixed(1)} MB), ${ROUNDS} rounds, medians; each phase in its own process, on a durable embedded PostgreSQL (fsync on, as in production). Load average ${load0.toFixed(1)} at the start, ${load1.toFixed(1)} at the end: the 2 cores are shared with other engineers' work.`,
    '',
    '| phase | what it does | rows/s | peak RSS |',
    '|---|---|---|---|',
    `| **floor** | raw \`COPY … FROM STDIN\` of the same rows, pre-rendered as import_raw's COPY text (JSON per row), into a table \`LIKE staging.import_raw INCLUDING ALL\` (same columns, check, indexes, WAL), one transaction | ${n(floorRate)} | ${mb(floor)} |`,
    `| \`nexus import\` | hash, sniff, parse (csv-parse), check, render JSON, COPY into staging.import_raw, registry, one transaction | ${n(importRate)} | ${mb(imp)} |`,
    cli instanceof Error
      ? `| \`nexus import\` CLI, once | not measured: ${cli.message} (the CLI failed to start) | — | — |`
      : `| \`nexus import\` CLI, once | the same through the command (process start and the import command's modules) | ${n((cli.rows / cli.ms) * 1000)} | ${mb([cli])} |`,
    `| reference | raw \`COPY … (FORMAT csv)\` of the CSV file into an unlogged table of six text columns (no JSON, no WAL, no index) | ${n(copyRate)} | ${mb(copy)} |`,
    '',
    `Ratio import/floor: **${ratio.toFixed(2)}** (target ≥ 0.5: ${ratio >= 0.5 ? 'met' : 'not met'}); import peak memory ${(peak / MB).toFixed(0)} MB (target < 200 MB: ${peak < 200 * MB ? 'met' : 'not met'}${cli instanceof Error ? '' : `; through the CLI ${(cli.peakBytes / MB).toFixed(0)} MB: ${cli.peakBytes < 200 * MB ? 'met' : 'not met'}`}).`,
    `Against the reference (the CSV file COPYed into an unlogged text table) the import runs at ${(importRate / copyRate).toFixed(2)} and the floor itself at ${(floorRate / copyRate).toFixed(2)}: that gap is what PostgreSQL spends on a durable jsonb row with its check and indexes, which no importer can remove.`,
  ];
  const chart = barChart('import.svg', `Import of ${ROWS.toLocaleString('en')} CSV rows`, 'rows/s', [
    { label: 'floor (import_raw-like)', value: floorRate },
    { label: 'nexus import', value: importRate },
    { label: 'ref: CSV COPY, unlogged', value: copyRate },
  ]);
  recordResults('Import (bench:import)', 'npm run bench:import', lines, chart);
  process.stdout.write(lines.join('\n') + '\n');
} finally {
  await env.close();
}
