// Shared by the benchmarks: a private PostgreSQL for the run, medians,
// progress lines, results appended to bench/RESULTS.md, and SVG bar charts.

import { appendFileSync, chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadSettings, type Settings } from '../src/core/settings.ts';
import { createLogger, type Logger } from '../src/core/log.ts';
import { openDatabase, type DbAccess } from '../src/db/connection.ts';
import type { EmbeddedCluster } from '../src/db/cluster.ts';
import { setupDatabase } from '../src/cli/setup.ts';

export const BENCH_DIR = path.dirname(fileURLToPath(import.meta.url));

export interface BenchEnv {
  home: string;
  settings: Settings;
  log: Logger;
  db: DbAccess;
  cluster: EmbeddedCluster;
  env: Record<string, string>;
  close(): Promise<void>;
}

/** A fresh embedded cluster (durable, as in production) with the platform's schema. */
export async function benchEnv(extra: Record<string, string> = {}): Promise<BenchEnv> {
  const home = mkdtempSync(path.join(os.tmpdir(), 'nexus-bench-'));
  chmodSync(home, 0o711);
  const env = { NEXUS_HOME: home, NEXUS_LOG_LEVEL: 'warn', NEXUS_GUARDIAN_RATE_LIMIT: '1000000', ...extra };
  const settings = loadSettings(env, home);
  const log = createLogger('warn');
  const { db, cluster } = await openDatabase(settings, { start: true });
  await setupDatabase(db, log);
  return {
    home, settings, log, db, cluster: cluster!, env,
    async close() {
      await db.close();
      await cluster!.stop();
      rmSync(home, { recursive: true, force: true });
    },
  };
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

export function percentile(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
}

/** A progress line with rate and ETA, at most once a second. */
export function progress(label: string, total: number): (done: number) => void {
  const t0 = Date.now();
  let last = 0;
  return (done) => {
    const now = Date.now();
    if (now - last < 1000 && done < total) return;
    last = now;
    const rate = done / Math.max(0.001, (now - t0) / 1000);
    const eta = rate > 0 ? Math.round((total - done) / rate) : 0;
    process.stderr.write(`  ${label}: ${done}/${total} (${Math.round((100 * done) / total)}%) ${Math.round(rate)}/s, ETA ${eta}s\n`);
  };
}

export interface Bar {
  label: string;
  value: number;
}

/** A horizontal bar chart as SVG: results people look at, not tables. */
export function barChart(file: string, title: string, unit: string, bars: Bar[]): string {
  const max = Math.max(...bars.map((b) => b.value), 1);
  const rowH = 34;
  const h = 50 + bars.length * rowH;
  const rows = bars
    .map((b, i) => {
      const y = 40 + i * rowH;
      const w = Math.max(2, (b.value / max) * 420);
      const v = b.value >= 100 ? Math.round(b.value).toLocaleString('en') : b.value.toFixed(2);
      return `<text x="10" y="${y + 18}" font-size="13">${b.label}</text>` +
        `<rect x="230" y="${y + 4}" width="${w.toFixed(1)}" height="20" fill="${i % 2 ? '#7aa6d8' : '#2f6db5'}"/>` +
        `<text x="${(236 + w).toFixed(1)}" y="${y + 19}" font-size="12">${v} ${unit}</text>`;
    })
    .join('\n');
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="800" height="${h}" font-family="sans-serif">\n<text x="10" y="22" font-size="15" font-weight="bold">${title}</text>\n${rows}\n</svg>\n`;
  const out = path.join(BENCH_DIR, 'charts', file);
  writeFileSync(out, svg);
  return path.relative(BENCH_DIR, out);
}

export function recordResults(section: string, command: string, lines: string[], chart?: string): void {
  const date = new Date().toISOString().slice(0, 10);
  const body = [`\n## ${section} — ${date}`, '', `Command: \`${command}\` on this machine (${os.cpus().length} cores, Node ${process.version}).`, '', ...lines, ...(chart ? ['', `![${section}](${chart})`] : []), ''];
  appendFileSync(path.join(BENCH_DIR, 'RESULTS.md'), body.join('\n'));
}
