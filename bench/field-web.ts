// Budgets of the field web app (issue 10), in Debian's Chromium with an iPad
// viewport against the real stack:
// - first-load JavaScript, gzipped (target ≤ 300 KB);
// - 5,000 local patients: opening the app offline until the list is shown,
//   and each keystroke of a search until the next frame (target < 100 ms),
//   next to the floor: the same queries as a bare Array.filter in the page.
// Median of 5 rounds (after one first open that builds the patient index);
// appended to bench/RESULTS.md with a chart.

import { gzipSync } from 'node:zlib';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { buildFieldWeb } from '../src/field-web/bundle.ts';
import { startGuardianServer, addDevice } from '../src/guardian/index.ts';
import { startSyncServer } from '../src/sync/service.ts';
import { benchEnv, barChart, median, recordResults } from './lib.ts';
import { X509Certificate, createHash } from 'node:crypto';
import { loadServerTls } from '../src/tls/index.ts';

const PATIENTS = 5000;

/** The server certificate's SPKI hash: Chromium trusts it as a clean secure context (service workers need one). */
function spkiHash(home: string): string {
  const chain = String(loadServerTls(home).cert);
  const leaf = new X509Certificate(chain.slice(0, chain.indexOf('-----END CERTIFICATE-----') + 25));
  return createHash('sha256').update(leaf.publicKey.export({ type: 'spki', format: 'der' })).digest('base64');
}
const QUERIES = ['b', 'be', 'ber', 'berg', 'berge', 'berger', 'berger a', 'berger ad', 'berger', 'be', 'm', 'mü', 'mül', 'müll', 'x', ''];

const bundle = await buildFieldWeb();
const jsGz = gzipSync(bundle.assets.get('app.js')!.body).length;
const jsRaw = bundle.assets.get('app.js')!.body.length;

const env = await benchEnv();
const guardian = await startGuardianServer({ settings: env.settings, log: env.log, port: 0 });
const server = await startSyncServer({ settings: env.settings, log: env.log, db: env.db, guardianUrl: guardian.url, port: 0 });
const profile = mkdtempSync(path.join(os.tmpdir(), 'bench-field-web-'));
const context = await chromium.launchPersistentContext(profile, {
  executablePath: '/usr/bin/chromium', headless: true,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', `--ignore-certificate-errors-spki-list=${spkiHash(env.home)}`],
  viewport: { width: 1180, height: 820 }, hasTouch: true,
});
const page = context.pages()[0] ?? (await context.newPage());
const ROUNDS = 5;
const rounds: Array<{ open: number; check: number; recovery: number; keyMedian: number; keyMax: number; floorMax: number; floorMedian: number; load: number }> = [];
let rebuild = { open: 0, recovery: 0 };
let indexBytes = 0;
try {
  await page.goto(`${server.url}/field/`);
  await page.fill('input[name=code]', (await addDevice(env.home, { name: 'bench-ipad', enrollmentTtlHours: 1 })).enrollmentCode);
  await page.click('button[type=submit]');
  await page.waitForSelector('body[data-ready=true]');
  await page.evaluate(() => (globalThis as any).navigator.serviceWorker.ready);
  await context.setOffline(true);
  // 5,000 patient folders as a pull would leave them (files only; no outbox ops).
  await page.evaluate(async (n) => {
    const fs = (globalThis as any).nexusField.client.device.fs;
    const last = ['Berger', 'Müller', 'Schmidt', 'Schneider', 'Fischer', 'Weber', 'Meyer', 'Wagner', 'Becker', 'Schulz', 'Hoffmann', 'Koch', 'Richter', 'Klein', 'Wolf', 'Neumann', 'Schwarz', 'Braun', 'Zimmermann', 'Krüger'];
    const first = ['Ada', 'Bernd', 'Clara', 'Dieter', 'Emma', 'Frieda', 'Gustav', 'Hanna', 'Ida', 'Jonas', 'Karl', 'Lina', 'Max', 'Nora', 'Otto', 'Paula'];
        for (let i = 0; i < n; i += 100) {
      await Promise.all(Array.from({ length: Math.min(100, n - i) }, (_, k) => {
        const j = i + k;
        const id = `0192f1d2-0000-7000-8000-${j.toString(16).padStart(12, '0')}`;
        const p = { patient_id: id, first_name: first[j % first.length], last_name: last[(j * 7) % last.length], birth_date: `19${30 + (j % 60)}-0${1 + (j % 9)}-1${j % 10}`, site: ['north', 'south', 'clinic'][j % 3], external_ref: `KV-${j}` };
        return fs.writeAtomic(`patients/${id}/patient.json`, JSON.stringify(p));
      }));
    }
  }, PATIENTS);
  // The seeded folders have no patient index yet: the first open rebuilds it
  // (what a device updated from a version without the index goes through once).
  await page.goto(`${server.url}/field/#/`);
  await page.reload();
  await page.waitForSelector(`[data-count="${PATIENTS}"]`, { timeout: 600_000 });
  rebuild = await page.evaluate(() => {
    const g = globalThis as any;
    return { open: g.performance.getEntriesByName('nexus-field-ready')[0]!.startTime as number, recovery: g.nexusField.client.device.recovery.durationMs as number };
  });
  console.log(`first open without an index (rebuild): ${rebuild.open.toFixed(0)} ms, recovery ${rebuild.recovery} ms`);
  for (let r = 0; r < ROUNDS; r++) {
    await page.reload();
    await page.waitForSelector(`[data-count="${PATIENTS}"]`, { timeout: 120_000 });
    // The app checks its index against the folders in idle time a few seconds after start; type after that.
    await page.waitForSelector('body[data-index-checked=true]', { timeout: 120_000 });
    const res = await page.evaluate(async (queries) => {
      const g = globalThis as any; // runs in the page
      const open = g.performance.getEntriesByName('nexus-field-ready')[0]!.startTime;
      const check = g.performance.getEntriesByName('nexus-field-index-check')[0]!.duration as number;
      const app = g.nexusField;
      const recovery = app.client.device.recovery;
      const input = g.document.querySelector('input[name=q]');
      const keys: number[] = [];
      for (const q of queries) {
        const t0 = performance.now();
        input.value = q;
        input.dispatchEvent(new g.Event('input'));
        void g.document.body.offsetHeight; // layout now, inside the measurement
        await new Promise<void>((res) => g.requestAnimationFrame(() => setTimeout(res, 0)));
        keys.push(performance.now() - t0);
      }
      // The floor: the same filtering as a bare Array.filter over the same strings, and one frame.
      const hay: string[] = app.index.all().map((e: any) => e.hay);
      const floors: number[] = [];
      for (const q of queries) {
        const t0 = performance.now();
        const words = q.toLowerCase().split(/\s+/).filter(Boolean);
        hay.filter((h) => words.every((w) => h.includes(w)));
        void g.document.body.offsetHeight;
        await new Promise<void>((res) => g.requestAnimationFrame(() => setTimeout(res, 0)));
        floors.push(performance.now() - t0);
      }
      // Reading and parsing the index file alone.
      const t0 = performance.now();
      const bytes = await app.client.device.fs.read('patient-index.json');
      JSON.parse(new TextDecoder().decode(bytes));
      const load = performance.now() - t0;
      return { open, check, recovery: recovery.durationMs, folders: recovery.foldersChecked, keys, floors, load, indexBytes: bytes.byteLength };
    }, QUERIES);
    const sorted = [...res.keys].sort((a, b) => a - b);
    indexBytes = res.indexBytes;
    rounds.push({ open: res.open, check: res.check, recovery: res.recovery, keyMedian: sorted[Math.floor(sorted.length / 2)]!, keyMax: sorted.at(-1)!, floorMax: Math.max(...res.floors), floorMedian: median(res.floors), load: res.load });
    const x = rounds.at(-1)!;
    console.log(`round ${r + 1}: open ${x.open.toFixed(0)} ms (recovery ${x.recovery} ms, ${res.folders} folders looked into), index check ${x.check.toFixed(0)} ms, keystroke median ${x.keyMedian.toFixed(1)} / max ${x.keyMax.toFixed(1)} ms [${res.keys.map((k: number) => k.toFixed(0)).join(' ')}], floor median ${x.floorMedian.toFixed(1)} / max ${x.floorMax.toFixed(1)} ms, index read ${x.load.toFixed(0)} ms`);
  }
} finally {
  await context.close();
  rmSync(profile, { recursive: true, force: true });
  await server.close();
  await guardian.close();
  await env.close();
}

const m = (k: keyof (typeof rounds)[number]) => median(rounds.map((r) => r[k]));
const worst = Math.max(...rounds.map((r) => r.keyMax));
const lines = [
  'Debian\u2019s Chromium (headless, iPad viewport 1180×820), offline, app served by the service worker; shared, loaded machine (other engineers\u2019 suites ran at the same time, so single spikes are the machine as much as the app).',
  'Start-up reads one patient index (patient-index.json) and checks only what a crash can leave (tmp/, journal/ intents, the outbox); the index is checked against the folder listing ~3 s after start in idle time, and keystrokes are measured after that check; the list is virtual (only rows in view are in the DOM).',
  '',
  `| measure (median of ${ROUNDS} rounds) | value | target |`,
  '|---|---|---|',
  `| first-load JavaScript (app.js, gzipped / raw) | ${(jsGz / 1024).toFixed(1)} KB / ${(jsRaw / 1024).toFixed(1)} KB | ≤ 300 KB gzipped |`,
  `| open the app offline until 5,000 patients are listed | ${m('open').toFixed(0)} ms | a second or two |`,
  `| of which recovery (openDevice) | ${m('recovery').toFixed(0)} ms | |`,
  `| of which reading + parsing patient-index.json (${(indexBytes / 1024).toFixed(0)} KB) | ${m('load').toFixed(0)} ms | |`,
  `| after start, in idle time: index checked against the listing of patients/ | ${m('check').toFixed(0)} ms | |`,
  `| once, first open without an index (rebuilt from 5,000 folders) | ${rebuild.open.toFixed(0)} ms (recovery ${rebuild.recovery} ms) | |`,
  `| search keystroke until the next frame, median / max of ${QUERIES.length} | ${m('keyMedian').toFixed(1)} / ${m('keyMax').toFixed(1)} ms | < 100 ms |`,
  `| worst keystroke in any round | ${worst.toFixed(1)} ms | |`,
  `| floor: the same query as a bare Array.filter + one frame, median / max | ${m('floorMedian').toFixed(1)} / ${m('floorMax').toFixed(1)} ms | |`,
  `| **keystroke max / 100 ms budget** | **${(m('keyMax') / 100).toFixed(2)}** | < 1 |`,
  `| keystroke max / floor max | ${(m('keyMax') / m('floorMax')).toFixed(1)} | |`,
];
console.log(lines.join('\n'));
const chart = barChart('field-web.svg', `Field web app: 5,000 patients (ms, median of ${ROUNDS})`, 'ms', [
  { label: 'open offline → list shown', value: m('open') },
  { label: 'recovery (openDevice)', value: m('recovery') },
  { label: 'keystroke max', value: m('keyMax') },
  { label: 'keystroke median', value: m('keyMedian') },
  { label: 'floor (filter + frame) max', value: m('floorMax') },
]);
recordResults('Field web app budgets', 'npm run bench:field-web', lines, chart);
