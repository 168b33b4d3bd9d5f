// Every source kind against a local server: JSON APIs with each pagination
// style, CSV, XLSX, HTML tables and RSS/Atom feeds, over HTTP and HTTPS.
// Each fetch lands raw in staging.crawl_raw with its parsed records.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import ExcelJS from 'exceljs';
import { testDatabase } from '../helpers/db.ts';
import { crawlSource } from '../../src/crawl/crawl.ts';
import { startWorld, source, json } from './world.ts';

const t = await testDatabase();
const world = await startWorld();
const secure = await startWorld({ https: true });

async function rows(src: string) {
  return t.query<{ url: string; http_status: number; raw: any; body: Buffer; headers: Record<string, string>; body_sha256: string }>(
    'admin', 'SELECT url, http_status, raw, body, headers, body_sha256 FROM staging.crawl_raw WHERE source = $1 ORDER BY ingest_id', [src]);
}

test('json_api with page numbers over HTTPS: every page until an empty one, records at records_path', async () => {
  const pages: Record<string, unknown[]> = { '1': [{ id: 1 }, { id: 2 }], '2': [{ id: 3 }], '3': [] };
  secure.routes.set('/clinics', (_req, res, url) => json(res, { data: pages[url.searchParams.get('page') ?? ''] ?? [], page: url.searchParams.get('page') }));
  const s = source('clinics', { kind: 'json_api', url: `${secure.base}/clinics`, records_path: 'data', pagination: { style: 'page' }, ca_file: secure.ca });
  const r = await crawlSource(t.db, s);
  assert.equal(r.status, 'ok', r.error);
  assert.equal(r.pages, 3);
  assert.equal(r.stored, 3);
  const stored = await rows('clinics');
  assert.deepEqual(stored.map((x) => x.raw.data.length), [2, 1, 0]);
  assert.match(stored[0]!.url, /page=1$/);
  assert.equal(stored[0]!.http_status, 200);
  assert.equal(stored[0]!.headers['content-type'], 'application/json');
});

test('json_api over HTTPS without the CA is refused (certificate not trusted), and nothing is stored', async () => {
  secure.routes.set('/untrusted', (_req, res) => json(res, []));
  const r = await crawlSource(t.db, source('untrusted', { kind: 'json_api', url: `${secure.base}/untrusted`, limits: { retries: 0 } }));
  assert.equal(r.status, 'failed');
  assert.equal(r.errorCode, 'crawl_robots_unavailable'); // robots.txt is the first request that fails
  assert.equal((await rows('untrusted')).length, 0);
});

test('json_api with cursors: follows cursor_path until it is null', async () => {
  const next: Record<string, string | null> = { '': 'c2', c2: 'c3', c3: null };
  world.routes.set('/cursor', (_req, res, url) => {
    const c = url.searchParams.get('after') ?? '';
    json(res, { items: [{ id: `item-${c || 'c1'}` }], meta: { next: next[c] } });
  });
  const s = source('cursor', { kind: 'json_api', url: `${world.base}/cursor`, records_path: 'items', pagination: { style: 'cursor', param: 'after', cursor_path: 'meta.next' } });
  const r = await crawlSource(t.db, s);
  assert.equal(r.status, 'ok', r.error);
  assert.deepEqual((await rows('cursor')).map((x) => x.raw.items[0].id), ['item-c1', 'item-c2', 'item-c3']);
  assert.deepEqual(world.hitsOf('/cursor').map((h) => h.path), ['/cursor', '/cursor?after=c2', '/cursor?after=c3']);
});

test('json_api with Link headers: follows rel="next" (relative and absolute) to the last page', async () => {
  world.routes.set('/linked', (_req, res, url) => {
    const p = Number(url.searchParams.get('p') ?? 1);
    const links = [`<${world.base}/linked?p=1>; rel="first"`];
    if (p === 1) links.push('</linked?p=2>; rel="next"');
    if (p === 2) links.push(`<${world.base}/linked?p=3>; rel="next last"`);
    json(res, [{ page: p }], { link: links.join(', ') });
  });
  const r = await crawlSource(t.db, source('linked', { kind: 'json_api', url: `${world.base}/linked`, pagination: { style: 'link' } }));
  assert.equal(r.status, 'ok', r.error);
  assert.deepEqual((await rows('linked')).map((x) => x.raw[0].page), [1, 2, 3]);
});

test('csv at a URL: records with the header names; quotes and newlines inside fields survive', async () => {
  const body = 'code,name,note\r\nA1,"Berger, Ada","line one\nline two"\r\nB2,Bob,\r\n';
  world.routes.set('/list.csv', (_req, res) => res.writeHead(200, { 'content-type': 'text/csv' }).end(body));
  const r = await crawlSource(t.db, source('csvlist', { kind: 'csv', url: `${world.base}/list.csv` }));
  assert.equal(r.status, 'ok', r.error);
  const [row] = await rows('csvlist');
  assert.deepEqual(row!.raw, [{ code: 'A1', name: 'Berger, Ada', note: 'line one\nline two' }, { code: 'B2', name: 'Bob', note: '' }]);
  assert.equal(Buffer.from(row!.body).toString(), body, 'the body is kept byte for byte');
});

test('xlsx at a URL: the first sheet (or the named one) as records; dates as ISO strings', async () => {
  const wb = new ExcelJS.Workbook();
  wb.addWorksheet('Notes').addRow(['ignore me']);
  const ws = wb.addWorksheet('Sites');
  ws.addRow(['site', 'opened', 'beds']);
  ws.addRow(['north', new Date(Date.UTC(2024, 0, 15)), 12]);
  ws.addRow(['south', new Date(Date.UTC(2025, 5, 1)), 8]);
  const buf = Buffer.from(await wb.xlsx.writeBuffer());
  world.routes.set('/sites.xlsx', (_req, res) => res.writeHead(200, { 'content-type': 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet' }).end(buf));
  const r = await crawlSource(t.db, source('sites', { kind: 'xlsx', url: `${world.base}/sites.xlsx`, sheet: 'Sites' }));
  assert.equal(r.status, 'ok', r.error);
  assert.deepEqual((await rows('sites'))[0]!.raw, [
    { site: 'north', opened: '2024-01-15T00:00:00.000Z', beds: 12 },
    { site: 'south', opened: '2025-06-01T00:00:00.000Z', beds: 8 },
  ]);
});

test('html_table: the table a CSS selector finds, headers from <th>', async () => {
  const html = `<html><body><table id="other"><tr><td>x</td></tr></table>
    <div class="rates"><table><thead><tr><th>Region</th><th>Rate  (%)</th></tr></thead>
    <tbody><tr><td>North</td><td> 4.2 </td></tr><tr><td>South</td><td>3.9</td></tr></tbody></table></div></body></html>`;
  world.routes.set('/rates.html', (_req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end(html));
  const r = await crawlSource(t.db, source('rates', { kind: 'html_table', url: `${world.base}/rates.html`, selector: 'div.rates' }));
  assert.equal(r.status, 'ok', r.error);
  assert.deepEqual((await rows('rates'))[0]!.raw, [{ Region: 'North', 'Rate (%)': '4.2' }, { Region: 'South', 'Rate (%)': '3.9' }]);
});

test('feeds: RSS items and Atom entries (link as a URL)', async () => {
  world.routes.set('/news.rss', (_req, res) => res.writeHead(200, { 'content-type': 'application/rss+xml' }).end(
    `<?xml version="1.0"?><rss version="2.0"><channel><title>News</title>
     <item><title>One</title><link>https://example.org/1</link><guid>n1</guid><pubDate>Tue, 10 Jun 2025 04:00:00 GMT</pubDate></item>
     <item><title>Two &amp; more</title><guid>n2</guid></item></channel></rss>`));
  world.routes.set('/news.atom', (_req, res) => res.writeHead(200, { 'content-type': 'application/atom+xml' }).end(
    `<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"><title>A</title>
     <entry><id>urn:a1</id><title>Only</title><link rel="alternate" href="https://example.org/a1"/><updated>2025-06-10T04:00:00Z</updated></entry></feed>`));
  assert.equal((await crawlSource(t.db, source('rss', { kind: 'feed', url: `${world.base}/news.rss` }))).status, 'ok');
  assert.equal((await crawlSource(t.db, source('atom', { kind: 'feed', url: `${world.base}/news.atom` }))).status, 'ok');
  const rss = (await rows('rss'))[0]!.raw;
  assert.equal(rss.length, 2);
  assert.equal(rss[0].guid, 'n1');
  assert.equal(rss[1].title, 'Two & more');
  const atom = (await rows('atom'))[0]!.raw;
  assert.deepEqual([atom[0].id, atom[0].link, atom[0].updated], ['urn:a1', 'https://example.org/a1', '2025-06-10T04:00:00Z']);
});

test('malformed bodies are stored with raw NULL (the ETL quarantines them); the run still succeeds', async () => {
  world.routes.set('/broken.json', (_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end('{"data": [1, 2'));
  world.routes.set('/broken.html', (_req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end('<p>no table here'));
  world.routes.set('/broken.csv', (_req, res) => res.writeHead(200, { 'content-type': 'text/csv' }).end('a,b\n1,"open\n'));
  world.routes.set('/broken.rss', (_req, res) => res.writeHead(200, { 'content-type': 'text/plain' }).end('just text'));
  assert.equal((await crawlSource(t.db, source('brokenjson', { kind: 'json_api', url: `${world.base}/broken.json` }))).status, 'ok');
  assert.equal((await crawlSource(t.db, source('brokenhtml', { kind: 'html_table', url: `${world.base}/broken.html`, selector: 'table' }))).status, 'ok');
  assert.equal((await crawlSource(t.db, source('brokencsv', { kind: 'csv', url: `${world.base}/broken.csv` }))).status, 'ok');
  assert.equal((await crawlSource(t.db, source('brokenrss', { kind: 'feed', url: `${world.base}/broken.rss` }))).status, 'ok');
  for (const name of ['brokenjson', 'brokenhtml', 'brokencsv', 'brokenrss']) {
    const [row] = await rows(name);
    assert.equal(row!.raw, null, name);
    assert.ok(row!.body.length > 0, `${name}: the body is kept`);
  }
});
