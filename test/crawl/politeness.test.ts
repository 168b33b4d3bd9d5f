// The crawler as a good citizen and a careful client: robots.txt, per-host
// rate and concurrency limits, retries with backoff on 5xx, 429 with
// Retry-After and connection resets, give-up after the last retry, timeouts,
// size limits, redirects, conditional requests (304) and no body stored twice.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { testDatabase } from '../helpers/db.ts';
import { crawlSource } from '../../src/crawl/crawl.ts';
import { HostLimiter } from '../../src/crawl/limiter.ts';
import { startWorld, source, json } from './world.ts';

const t = await testDatabase();
const world = await startWorld();

const count = async (src: string) =>
  (await t.query<{ n: number }>('admin', 'SELECT count(*)::int AS n FROM staging.crawl_raw WHERE source = $1', [src]))[0]!.n;

test('robots.txt: a disallowed path is not fetched; the run fails with crawl_robots_disallowed', async () => {
  world.routes.set('/robots.txt', (_req, res) => res.writeHead(200, { 'content-type': 'text/plain' }).end('User-agent: *\nDisallow: /private/\n'));
  world.routes.set('/private/data', (_req, res) => json(res, [{ secret: true }]));
  world.routes.set('/public/data', (_req, res) => json(res, [{ open: true }]));
  const denied = await crawlSource(t.db, source('private', { kind: 'json_api', url: `${world.base}/private/data` }));
  assert.equal(denied.status, 'failed');
  assert.equal(denied.errorCode, 'crawl_robots_disallowed');
  assert.equal(world.hitsOf('/private/data').length, 0, 'the disallowed URL was never requested');
  const allowed = await crawlSource(t.db, source('public', { kind: 'json_api', url: `${world.base}/public/data` }));
  assert.equal(allowed.status, 'ok', allowed.error);
  const [run] = await t.query<{ status: string; error_code: string }>('admin', "SELECT status, error_code FROM nexus.crawl_runs WHERE source = 'private'");
  assert.deepEqual(run, { status: 'failed', error_code: 'crawl_robots_disallowed' });
  world.routes.delete('/robots.txt');
});

test('rate limit: requests to one host are spaced by 1/rate seconds', async () => {
  world.routes.set('/paced', (_req, res, url) => json(res, Number(url.searchParams.get('page')) <= 5 ? [{ p: url.searchParams.get('page') }] : []));
  const r = await crawlSource(t.db, source('paced', { kind: 'json_api', url: `${world.base}/paced`, pagination: { style: 'page' }, limits: { rate_per_second: 5 } }));
  assert.equal(r.status, 'ok', r.error);
  const at = world.hitsOf('/paced').map((h) => h.at);
  assert.equal(at.length, 6);
  for (let i = 1; i < at.length; i++) assert.ok(at[i]! - at[i - 1]! >= 170, `gap ${at[i]! - at[i - 1]!} ms between requests ${i} and ${i + 1}`);
});

test('concurrency limit: never more requests in flight to a host than allowed', async () => {
  const limiter = new HostLimiter();
  let active = 0;
  let peak = 0;
  await Promise.all(Array.from({ length: 12 }, async () => {
    const release = await limiter.acquire('h:1', 1000, 3);
    active++;
    peak = Math.max(peak, active);
    await new Promise((r) => setTimeout(r, 20));
    active--;
    release();
  }));
  assert.equal(peak, 3);
});

test('retries: 5xx and a connection reset are retried with backoff; the next answer is stored', async () => {
  let n = 0;
  world.routes.set('/flaky', (req, res) => {
    n++;
    if (n === 1) res.writeHead(503).end('busy');
    else if (n === 2) req.socket.destroy();
    else json(res, [{ ok: true }]);
  });
  const r = await crawlSource(t.db, source('flaky', { kind: 'json_api', url: `${world.base}/flaky`, limits: { retries: 3, backoff_ms: 50 } }));
  assert.equal(r.status, 'ok', r.error);
  assert.equal(n, 3);
  const at = world.hitsOf('/flaky').map((h) => h.at);
  assert.ok(at[2]! - at[1]! >= 90, 'the second retry waited twice the first backoff');
  assert.equal(await count('flaky'), 1);
});

test('429 with Retry-After is honoured (within the backoff cap)', async () => {
  let n = 0;
  world.routes.set('/busy', (_req, res) => (++n === 1 ? res.writeHead(429, { 'retry-after': '1' }).end() : json(res, [{ n }])));
  const r = await crawlSource(t.db, source('busy', { kind: 'json_api', url: `${world.base}/busy`, limits: { backoff_ms: 10, backoff_max_ms: 5000 } }));
  assert.equal(r.status, 'ok', r.error);
  const at = world.hitsOf('/busy').map((h) => h.at);
  assert.ok(at[1]! - at[0]! >= 950, `waited ${at[1]! - at[0]!} ms for Retry-After: 1`);
});

test('a source that keeps failing gives up after its retries; 404 is not retried', async () => {
  world.routes.set('/down', (_req, res) => res.writeHead(500).end('boom'));
  const r = await crawlSource(t.db, source('down', { kind: 'json_api', url: `${world.base}/down`, limits: { retries: 2 } }));
  assert.equal(r.status, 'failed');
  assert.equal(r.errorCode, 'crawl_fetch_failed');
  assert.match(r.error!, /HTTP 500 \(gave up after 3 attempts\)/);
  assert.equal(world.hitsOf('/down').length, 3);
  const missing = await crawlSource(t.db, source('missing', { kind: 'json_api', url: `${world.base}/nothing-here` }));
  assert.equal(missing.errorCode, 'crawl_http_status');
  assert.equal(world.hitsOf('/nothing-here').length, 1);
});

test('timeouts: a server that stalls is abandoned after timeout_ms and retried', async () => {
  let n = 0;
  world.routes.set('/slow', (_req, res) => {
    if (++n === 1) setTimeout(() => json(res, [{ late: true }]), 1500);
    else json(res, [{ late: false }]);
  });
  const t0 = Date.now();
  const r = await crawlSource(t.db, source('slow', { kind: 'json_api', url: `${world.base}/slow`, limits: { timeout_ms: 300 } }));
  assert.equal(r.status, 'ok', r.error);
  assert.ok(Date.now() - t0 < 1400, 'did not wait for the stalled answer');
  const [row] = await t.query<{ raw: unknown }>('admin', "SELECT raw FROM staging.crawl_raw WHERE source = 'slow'");
  assert.deepEqual(row!.raw, [{ late: false }]);
});

test('size limit: a declared Content-Length and a streamed body over max_bytes are both refused', async () => {
  world.routes.set('/huge', (_req, res) => res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(5_000_000) }).end(Buffer.alloc(5_000_000, 32)));
  world.routes.set('/huge-chunked', (_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    for (let i = 0; i < 50; i++) res.write(Buffer.alloc(100_000, 32));
    res.end();
  });
  for (const p of ['/huge', '/huge-chunked']) {
    const r = await crawlSource(t.db, source(`big${p.length}`, { kind: 'json_api', url: `${world.base}${p}`, limits: { max_bytes: 1_000_000 } }));
    assert.equal(r.status, 'failed');
    assert.equal(r.errorCode, 'crawl_too_large');
    assert.equal(world.hitsOf(p).length, 1, 'not retried');
  }
  assert.equal(await count('big5'), 0);
});

test('redirects are followed', async () => {
  world.routes.set('/old', (_req, res) => res.writeHead(301, { location: '/new' }).end());
  world.routes.set('/new', (_req, res) => json(res, [{ moved: true }]));
  const r = await crawlSource(t.db, source('moved', { kind: 'json_api', url: `${world.base}/old` }));
  assert.equal(r.status, 'ok', r.error);
  assert.equal(await count('moved'), 1);
});

test('conditional requests: ETag and Last-Modified get 304 and store nothing; changed content is stored', async () => {
  let version = 1;
  world.routes.set('/etag', (req, res) => {
    const etag = `"v${version}"`;
    if (req.headers['if-none-match'] === etag) return void res.writeHead(304, { etag }).end();
    json(res, [{ version }], { etag });
  });
  const lastModified = 'Wed, 21 Oct 2025 07:28:00 GMT';
  world.routes.set('/lm', (req, res) => {
    if (req.headers['if-modified-since'] === lastModified) return void res.writeHead(304).end();
    json(res, [{ lm: true }], { 'last-modified': lastModified });
  });
  const etag = source('etag', { kind: 'json_api', url: `${world.base}/etag` });
  const lm = source('lm', { kind: 'json_api', url: `${world.base}/lm` });
  assert.equal((await crawlSource(t.db, etag)).stored, 1);
  const again = await crawlSource(t.db, etag);
  assert.deepEqual([again.status, again.unchanged, again.stored], ['ok', 1, 0]);
  assert.equal(world.hitsOf('/etag')[1]!.headers['if-none-match'], '"v1"');
  version = 2;
  assert.equal((await crawlSource(t.db, etag)).stored, 1);
  assert.equal(await count('etag'), 2);

  assert.equal((await crawlSource(t.db, lm)).stored, 1);
  const lm2 = await crawlSource(t.db, lm);
  assert.equal(lm2.unchanged, 1);
  assert.equal(world.hitsOf('/lm')[1]!.headers['if-modified-since'], lastModified);
  assert.equal(await count('lm'), 1);
});

test('a 304 in the middle of a paginated crawl still finds the next page from the stored body', async () => {
  world.routes.set('/pages', (req, res, url) => {
    const p = Number(url.searchParams.get('page'));
    const etag = `"p${p}"`;
    if (req.headers['if-none-match'] === etag) return void res.writeHead(304, { etag }).end();
    json(res, { data: p <= 2 ? [{ p }] : [] }, { etag });
  });
  const s = source('pages', { kind: 'json_api', url: `${world.base}/pages`, records_path: 'data', pagination: { style: 'page' } });
  assert.equal((await crawlSource(t.db, s)).stored, 3);
  const again = await crawlSource(t.db, s);
  assert.deepEqual([again.pages, again.unchanged, again.stored], [3, 3, 0]);
});

test('an identical body without validators is not stored twice', async () => {
  world.routes.set('/same', (_req, res) => json(res, [{ same: true }]));
  const s = source('same', { kind: 'json_api', url: `${world.base}/same` });
  assert.equal((await crawlSource(t.db, s)).stored, 1);
  const again = await crawlSource(t.db, s);
  assert.deepEqual([again.stored, again.duplicates], [0, 1]);
  assert.equal(await count('same'), 1);
});

test('credentials come from the environment variable the source names', async () => {
  world.routes.set('/secret', (req, res) => (req.headers.authorization === 'Bearer s3cret' ? json(res, [{ ok: 1 }]) : res.writeHead(401).end()));
  process.env.CRAWL_TEST_TOKEN = 's3cret';
  try {
    const r = await crawlSource(t.db, source('authed', { kind: 'json_api', url: `${world.base}/secret`, auth: { env: 'CRAWL_TEST_TOKEN' } }));
    assert.equal(r.status, 'ok', r.error);
    const [row] = await t.query<{ headers: Record<string, string> }>('admin', "SELECT headers FROM staging.crawl_raw WHERE source = 'authed'");
    assert.ok(!JSON.stringify(row!.headers).includes('s3cret'));
  } finally {
    delete process.env.CRAWL_TEST_TOKEN;
  }
  const missing = await crawlSource(t.db, source('authed2', { kind: 'json_api', url: `${world.base}/secret`, auth: { env: 'CRAWL_TEST_NOT_SET' } }));
  assert.deepEqual([missing.status, missing.errorCode], ['failed', 'secret_missing']);
});
