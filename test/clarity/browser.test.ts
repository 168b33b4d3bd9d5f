// Clarity in a real browser (Debian's Chromium through playwright-core):
// sign in, both built-in dashboards, filters that change every chart, drill,
// a parameterised SQL question saved and exported, a write refused.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, mkdirSync, copyFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import ExcelJS from 'exceljs';
import type { BrowserContext, Page } from 'playwright-core';
import { testDatabase } from '../helpers/db.ts';
import { landFieldHistory } from './fixtures.ts';
import { launchChromium, startClarity, PASSWORD, type RunningClarity } from './helpers.ts';

const t = await testDatabase();
let clarity: RunningClarity;
let devices: string[];
let page: Page;
let context: (BrowserContext & { dispose(): Promise<void> }) | undefined;
const shots = mkdtempSync(path.join(os.tmpdir(), 'clarity-shots-'));
// Set CLARITY_SCREENSHOTS to a folder (docs/clarity) to keep the screenshots.
const keep = process.env.CLARITY_SCREENSHOTS;

before(async () => {
  ({ devices } = await landFieldHistory(t));
  clarity = await startClarity(t);
  context = await launchChromium();
  page = context.pages()[0] ?? (await context.newPage());
  // Nothing may be fetched from anywhere but Clarity itself.
  await context.route('**/*', (route) => (route.request().url().startsWith(clarity.url) ? route.continue() : route.abort()));
});

after(async () => {
  await context?.dispose();
  await clarity?.stop();
  rmSync(shots, { recursive: true, force: true });
});

async function screenshot(name: string): Promise<void> {
  const file = path.join(shots, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  assert.deepEqual([...readFileSync(file).subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], 'a PNG');
  if (keep) {
    mkdirSync(keep, { recursive: true });
    copyFileSync(file, path.join(keep, `${name}.png`));
  }
}

/**
 * Waits until at least `version` loads were requested and every chart shows
 * the newest one (a filter change can start several); returns id → signature.
 */
async function charts(version: number): Promise<Map<string, { sig: string; filters: string }>> {
  // A function, not a string: the page's CSP forbids eval. No DOM types here, hence `any`.
  await page.waitForFunction((v: number) => {
    const doc = (globalThis as any).document;
    const newest = Number(doc.body.dataset.generation);
    return newest >= v && [...doc.querySelectorAll('section.card')].every((c: any) => Number(c.dataset.version) === newest);
  }, version, { timeout: 30_000 });
  const list = await page.$$eval('section.card', (cs) => cs.map((c) => [c.getAttribute('data-chart')!, c.getAttribute('data-signature')!, c.getAttribute('data-filters')!] as const));
  for (const [id, sig] of list) assert.notEqual(sig, 'error', `chart ${id} failed`);
  return new Map(list.map(([id, sig, filters]) => [id, { sig, filters }]));
}

function assertAllChanged(before: Map<string, { sig: string; filters: string }>, after: Map<string, { sig: string; filters: string }>, filter: string): void {
  const followed = [...before].filter(([, v]) => v.filters.split(' ').includes(filter));
  assert.ok(followed.length >= 5, `most charts follow the ${filter} filter`);
  for (const [id, v] of followed) assert.notEqual(after.get(id)!.sig, v.sig, `chart ${id} changed with the ${filter} filter`);
}

test('sign in: a wrong password is refused, the right one opens the home page', async () => {
  await page.goto(`${clarity.url}/dashboards/operations`);
  assert.match(page.url(), /\/login$/);
  await page.fill('input[name=user]', 'ada');
  await page.fill('input[name=password]', 'wrong password!');
  await page.click('button[type=submit]');
  await page.waitForSelector('.error');
  await page.fill('input[name=user]', 'ada');
  await page.fill('input[name=password]', PASSWORD);
  await page.click('button[type=submit]');
  await page.waitForSelector('text=Field activity');
  assert.equal(new URL(page.url()).pathname, '/');
  const cookies = await page.context().cookies();
  const session = cookies.find((c) => c.name === 'clarity_session')!;
  assert.ok(session.httpOnly && session.secure && session.sameSite === 'Strict');
});

test('Operations: every chart renders; the device filter changes every chart that follows it; drill to rows', async () => {
  await page.goto(`${clarity.url}/dashboards/operations`);
  const all = await charts(1);
  assert.equal(all.size, 11);
  assert.equal(await page.textContent('[data-chart=pushes-total] .big-number'), '3');
  await page.waitForSelector('#filter-device option:nth-child(4)', { state: 'attached' });
  await screenshot('operations');
  await page.selectOption('#filter-device', devices[0]!);
  const filtered = await charts(2);
  assertAllChanged(all, filtered, 'device');
  assert.equal(await page.textContent('[data-chart=pushes-total] .big-number'), '1');
  assert.equal(await page.$$eval('[data-chart=device-status] tbody tr', (r) => r.length), 1);
  // Drill: the day's bar in "Pushes and pulls per day" opens its rows.
  await page.click('[data-chart=sync-per-day] rect.mark');
  await page.waitForSelector('dialog[open] table.result tbody tr');
  const rows = await page.$$eval('dialog[open] table.result tbody tr', (r) => r.length);
  assert.equal(rows, 1);
  await page.click('dialog[open] header button');
});

test('Field activity: the group and date filters change every chart; drill from the line chart', async () => {
  await page.goto(`${clarity.url}/dashboards/field-activity`);
  const all = await charts(1);
  assert.equal(all.size, 11);
  assert.equal(await page.textContent('[data-chart=sessions-total] .big-number'), '96');
  await screenshot('field-activity');
  await page.waitForSelector('#filter-group option[value=south]', { state: 'attached' });
  await page.selectOption('#filter-group', 'south');
  const south = await charts(2);
  assertAllChanged(all, south, 'group');
  assert.equal(await page.textContent('[data-chart=sessions-total] .big-number'), '40');
  await page.fill('#filter-date-from', '2026-11-05');
  await page.fill('#filter-date-to', '2026-11-12');
  await page.dispatchEvent('#filter-date-to', 'change');
  const dated = await charts(3);
  const changed = [...south].filter(([id, v]) => dated.get(id)!.sig !== v.sig).map(([id]) => id);
  assert.ok(changed.includes('sessions-total') && changed.includes('sessions-per-day'), `date filter applied (${changed.join(', ')})`);
  await page.click('[data-chart=sessions-per-day] circle.mark');
  await page.waitForSelector('dialog[open] table.result tbody tr');
  const day = await page.$$eval('dialog[open] table.result tbody tr td:nth-child(2)', (tds) => [...new Set(tds.map((td) => td.textContent))]);
  assert.equal(day.length, 1, 'the rows of one day');
  await page.click('dialog[open] header button');
});

test('SQL editor: autocomplete, a typed parameter, save, export CSV and XLSX', async () => {
  await page.goto(`${clarity.url}/sql`);
  await page.click('#sql');
  await page.keyboard.type('SELECT session_id, session_date, session_type FROM mart_analytics.sess');
  await page.waitForSelector('#autocomplete li');
  const offered = await page.$$eval('#autocomplete li', (l) => l.map((x) => x.textContent));
  assert.ok(offered.includes('mart_analytics.sessions'), offered.join(', '));
  await page.keyboard.press('Tab');
  await page.keyboard.type(' WHERE session_date >= $since ORDER BY session_id');
  assert.match(await page.inputValue('#sql'), /FROM mart_analytics\.sessions WHERE/);
  await page.waitForSelector('[data-param=since]');
  await page.selectOption('select[name=type-since]', 'date');
  await page.fill('input[name=param-since]', '2026-11-20');
  await page.click('#run');
  await page.waitForSelector('#status:has-text("row(s)")');
  const [expected] = await t.query<{ n: number }>('admin', `SELECT count(*)::int AS n FROM mart_analytics.sessions WHERE session_date >= '2026-11-20'`);
  assert.ok(expected!.n > 0);
  assert.match((await page.textContent('#status'))!, new RegExp(`^${expected!.n} row\\(s\\)`));
  // A wrong type is refused with a message, not a crash.
  await page.selectOption('select[name=type-since]', 'number');
  await page.fill('input[name=param-since]', '12');
  await page.click('#run');
  await page.waitForSelector('#result .error');
  await page.selectOption('select[name=type-since]', 'date');
  await page.fill('input[name=param-since]', '2026-11-20');
  await page.fill('#question-title', 'Sessions since a day');
  await page.click('#save');
  await page.waitForURL(/\/questions\/[0-9a-f-]{36}$/);
  await page.waitForSelector('#status:has-text("row(s)")');
  await screenshot('question');

  const dir = path.join(shots, 'downloads');
  mkdirSync(dir);
  const [csv] = await Promise.all([page.waitForEvent('download'), page.click('[data-export=csv]')]);
  const csvFile = path.join(dir, 'q.csv');
  await csv.saveAs(csvFile);
  const lines = readFileSync(csvFile, 'utf8').trimEnd().split('\r\n');
  assert.equal(lines[0], 'session_id,session_date,session_type');
  assert.equal(lines.length - 1, expected!.n);
  const [xlsx] = await Promise.all([page.waitForEvent('download'), page.click('[data-export=xlsx]')]);
  const xlsxFile = path.join(dir, 'q.xlsx');
  await xlsx.saveAs(xlsxFile);
  const wb = new ExcelJS.Workbook();
  await wb.xlsx.readFile(xlsxFile);
  const ws = wb.worksheets[0]!;
  assert.equal(ws.rowCount - 1, expected!.n);
  assert.deepEqual((ws.getRow(1).values as unknown[]).slice(1), ['session_id', 'session_date', 'session_type']);
  assert.equal(ws.getRow(2).getCell(1).value, lines[1]!.split(',')[0]);
});

test('a write statement is refused in the SQL editor', async () => {
  await page.goto(`${clarity.url}/sql`);
  for (const sql of ['DELETE FROM mart_analytics.sessions', 'CREATE TABLE x AS SELECT 1', "COPY mart_analytics.sessions TO 'x.csv'", 'SELECT 1; DROP TABLE mart_analytics.sessions']) {
    await page.fill('#sql', sql);
    await page.press('#sql', 'Escape'); // close the autocomplete list
    await page.click('#run');
    const msg = await page.waitForSelector('#result .error');
    assert.match((await msg.textContent())!, /only runs read statements/);
  }
  await screenshot('sql-refused');
  await page.fill('#sql', 'SELECT count(*) AS n FROM mart_analytics.sessions');
  await page.press('#sql', 'Escape');
  await page.click('#run');
  await page.waitForSelector('#status:has-text("1 row(s)")');
  assert.equal(await page.textContent('#result-table td, #chart td'), '96');
});
