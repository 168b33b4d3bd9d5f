// The web app's contract over real HTTPS: sessions, CSRF, roles, headers,
// saved questions and streamed exports (a million rows in bounded memory).

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { request } from 'undici';
import { testDatabase } from '../helpers/db.ts';
import { landFieldHistory } from './fixtures.ts';
import { PASSWORD, api, insecure, login, startClarity, type RunningClarity } from './helpers.ts';
import { setPassword } from '../../src/clarity/users.ts';

const t = await testDatabase();
let c: RunningClarity;
before(async () => {
  await landFieldHistory(t);
  c = await startClarity(t);
});
after(() => c?.stop());

test('without a session: pages redirect to sign-in, the API answers 401', async () => {
  const page = await request(`${c.url}/dashboards/operations`, { dispatcher: insecure });
  assert.equal(page.statusCode, 303);
  assert.equal(page.headers.location, '/login');
  await page.body.dump();
  const res = await request(`${c.url}/api/dashboards`, { dispatcher: insecure });
  assert.equal(res.statusCode, 401);
  assert.equal(((await res.body.json()) as { code: string }).code, 'clarity_unauthenticated');
  const bad = await request(`${c.url}/login`, { method: 'POST', dispatcher: insecure, headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'user=ada&password=nope' });
  assert.equal(bad.statusCode, 401);
  await bad.body.dump();
  const cross = await request(`${c.url}/login`, { method: 'POST', dispatcher: insecure, headers: { 'content-type': 'application/x-www-form-urlencoded', origin: 'https://evil.example' }, body: 'user=ada&password=correct+horse+battery' });
  assert.equal(cross.statusCode, 403);
  await cross.body.dump();
});

test('CSRF: a state-changing request without the session token is refused', async () => {
  const a = await login(c.url, 'ada');
  const res = await api(c.url, { ...a, csrf: 'x'.repeat(a.csrf.length) }, 'POST', '/api/query', { sql: 'SELECT 1' });
  assert.equal(res.status, 403);
  assert.equal(res.body.code, 'clarity_csrf');
  assert.equal((await api(c.url, a, 'POST', '/api/query', { sql: 'SELECT 1 AS one' })).status, 200);
});

test('a session survives a restart; a new password or sign-out ends it; the state file holds no usable id', async () => {
  const a = await login(c.url, 'ada');
  const e = await login(c.url, 'eddie');
  await c.restart();
  assert.equal((await api(c.url, a, 'POST', '/api/query', { sql: 'SELECT 1 AS one' })).status, 200, 'still signed in after the restart');
  const stored = readFileSync(c.store.file('sessions'), 'utf8');
  assert.ok(!stored.includes(a.cookie.split('=')[1]!), 'only the hash of the id is stored');

  await setPassword(c.store, 'ada', 'another long password');
  const after = await api(c.url, a, 'POST', '/api/query', { sql: 'SELECT 1 AS one' });
  assert.equal(after.status, 401, 'a new password signs the user out');
  assert.equal(after.body.code, 'clarity_unauthenticated');
  await setPassword(c.store, 'ada', PASSWORD);

  assert.equal((await api(c.url, e, 'GET', '/api/dashboards')).status, 200, 'other users stay signed in');
  const out = await request(`${c.url}/logout`, { method: 'POST', dispatcher: insecure, headers: { cookie: e.cookie, 'x-csrf-token': e.csrf, origin: c.url } });
  assert.equal(out.statusCode, 303);
  await out.body.dump();
  assert.equal((await api(c.url, e, 'GET', '/api/dashboards')).status, 401, 'signed out');
});

test('roles: viewers run dashboards and saved questions, not their own SQL; editors save', async () => {
  const v = await login(c.url, 'vic');
  const e = await login(c.url, 'eddie');
  assert.equal((await api(c.url, v, 'POST', '/api/dashboards/operations/charts/pushes-total', { filters: {} })).status, 200);
  const own = await api(c.url, v, 'POST', '/api/query', { sql: 'SELECT 1' });
  assert.equal(own.status, 403);
  assert.equal(own.body.code, 'clarity_forbidden');
  assert.equal((await api(c.url, v, 'POST', '/api/questions', { title: 'x', sql: 'SELECT 1' })).status, 403);
  const saved = await api(c.url, e, 'POST', '/api/questions', {
    title: 'Sessions of a type', sql: 'SELECT count(*) AS n FROM mart_analytics.sessions WHERE session_type = $type',
    params: [{ name: 'type', type: 'text', default: 'therapy' }], chart: { type: 'number' },
  });
  assert.equal(saved.status, 201);
  const run = await api(c.url, v, 'POST', '/api/query', { question_id: saved.body.id, values: { type: 'phone_call' } });
  assert.equal(run.status, 200);
  const [pg] = await t.query<{ n: string }>('admin', `SELECT count(*) AS n FROM mart_analytics.sessions WHERE session_type = 'phone_call'`);
  assert.equal(run.body.rows[0][0], pg!.n);
  // A user dashboard made by an editor, with a chart following the filters.
  const d = await api(c.url, e, 'POST', '/api/dashboards', { title: 'Mine', charts: [{ title: 'Per type', type: 'bar', x: 'type', y: ['n'], filters: ['device'],
    sql: 'SELECT session_type AS type, count(*) AS n FROM mart_analytics.sessions WHERE ($device IS NULL OR device_id::VARCHAR = $device) GROUP BY 1 ORDER BY 1' }] });
  assert.equal(d.status, 201);
  const chart = await api(c.url, v, 'POST', `/api/dashboards/${d.body.id}/charts/c1`, { filters: {} });
  assert.equal(chart.body.rows.length, 5);
  assert.equal((await api(c.url, e, 'POST', '/api/dashboards', { id: 'operations', title: 'mine now' })).status, 409);
});

test('headers: strict CSP on pages, immutable caching for hashed assets', async () => {
  const a = await login(c.url, 'ada');
  const page = await request(`${c.url}/dashboards/field-activity`, { dispatcher: insecure, headers: { cookie: a.cookie } });
  const html = await page.body.text();
  assert.match(String(page.headers['content-security-policy']), /default-src 'none'; script-src 'self'/);
  assert.equal(page.headers['cache-control'], 'no-store');
  const src = /src="(\/static\/app\.js\?v=[0-9a-f]+)"/.exec(html)![1]!;
  const asset = await request(`${c.url}${src}`, { dispatcher: insecure });
  assert.equal(asset.headers['cache-control'], 'public, max-age=31536000, immutable');
  assert.match(String(asset.headers['content-type']), /text\/javascript/);
  await asset.body.dump();
  const stale = await request(`${c.url}/static/app.js?v=old`, { dispatcher: insecure });
  assert.equal(stale.headers['cache-control'], 'no-cache');
  await stale.body.dump();
});

async function exportStream(a: { cookie: string; csrf: string }, format: string, sql: string): Promise<{ status: number; bytes: number; text?: string; peakRss: number; type: string }> {
  const res = await request(`${c.url}/export`, {
    method: 'POST', dispatcher: insecure,
    headers: { cookie: a.cookie, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ csrf: a.csrf, format, sql, filename: 'big' }).toString(),
  });
  let bytes = 0;
  let peakRss = process.memoryUsage().rss;
  const keep: Buffer[] = [];
  for await (const chunk of res.body) {
    if (bytes < 4096) keep.push(chunk as Buffer);
    bytes += chunk.length;
    peakRss = Math.max(peakRss, process.memoryUsage().rss);
  }
  return { status: res.statusCode, bytes, text: Buffer.concat(keep).subarray(0, 4096).toString('utf8'), peakRss, type: String(res.headers['content-type']) };
}

test('exports stream: a million rows as CSV in bounded memory, and Parquet', async () => {
  const a = await login(c.url, 'ada');
  const before = process.memoryUsage().rss;
  const sql = "SELECT range AS i, 'row ' || range AS label, range * 0.5 AS half FROM range(1000000)";
  const csv = await exportStream(a, 'csv', sql);
  assert.equal(csv.status, 200);
  assert.match(csv.text!, /^i,label,half\r\n0,row 0,0.0\r\n1,row 1,0.5\r\n/);
  // The whole file is ~25 MB; the server (this process) grows far less than a buffered copy would need.
  assert.ok(csv.bytes > 20_000_000, `${csv.bytes} bytes`);
  assert.ok(csv.peakRss - before < 250 * 1024 * 1024, `rss grew ${Math.round((csv.peakRss - before) / 1048576)} MB`);
  const pq = await exportStream(a, 'parquet', sql);
  assert.equal(pq.status, 200);
  assert.equal(pq.type, 'application/vnd.apache.parquet');
  assert.equal(pq.text!.slice(0, 4), 'PAR1');
  const refused = await request(`${c.url}/export`, { method: 'POST', dispatcher: insecure, headers: { cookie: a.cookie, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ csrf: a.csrf, format: 'csv', sql: 'DELETE FROM mart_analytics.sessions' }).toString() });
  assert.equal(refused.statusCode, 403);
  await refused.body.dump();
});
