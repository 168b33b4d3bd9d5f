// The web app's pieces that need no browser: the pure-TS SHA-256 (browser
// path of src/protocol) against node:crypto, the background scheduler, the
// form rules from parameters, the bundle's size, and the /field/ routes
// (shell, service worker, Guardian relay) on the real sync server.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { sha256HexPure } from '../../src/protocol/sha256.ts';
import { sha256Hex } from '../../src/protocol/index.ts';
import { BackgroundSync, type SchedulerTimers } from '../../src/field/index.ts';
import { formFor, measurementList, sessionTypes, warningFor, intervalSeconds } from '../../src/field-web/app/forms.ts';
import { buildFieldWeb } from '../../src/field-web/bundle.ts';
import { request } from '../sync/stack.ts';
import { enrollmentCode, startStack } from './helpers.ts';

test('pure-TS SHA-256 equals node:crypto at every padding boundary and on random data', () => {
  for (const n of [0, 1, 55, 56, 57, 63, 64, 65, 119, 120, 127, 128, 1000, 65_537]) {
    const b = randomBytes(n);
    assert.equal(sha256HexPure(b), createHash('sha256').update(b).digest('hex'), `${n} bytes`);
  }
  assert.equal(sha256HexPure('abc'), 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  assert.equal(sha256Hex('€ and ü'), sha256HexPure('€ and ü'));
});

/** Timers under the test's control: run() fires the pending one. */
function manualTimers(): SchedulerTimers & { pending: Array<{ fn: () => void; ms: number }>; fire(): void } {
  const pending: Array<{ fn: () => void; ms: number }> = [];
  return {
    pending,
    setTimeout: (fn, ms) => { const t = { fn, ms }; pending.push(t); return t; },
    clearTimeout: (h) => { const i = pending.indexOf(h as never); if (i >= 0) pending.splice(i, 1); },
    fire() { const t = pending.shift(); t?.fn(); },
  };
}

test('background sync: runs at start, on online, on the interval; never overlaps; backs off after failures; waits while offline', async () => {
  const timers = manualTimers();
  let online = true;
  let onlineCb: (() => void) | undefined;
  let runs = 0;
  let fail = false;
  let release: (() => void) | undefined;
  const bg = new BackgroundSync({
    run: () => { runs++; return new Promise<void>((res, rej) => { release = () => (fail ? rej(new Error('network_unavailable')) : res()); }); },
    intervalSeconds: () => 60,
    isOnline: () => online,
    onOnline: (cb) => { onlineCb = cb; return () => (onlineCb = undefined); },
    retry: { attempts: Infinity, baseMs: 1000, capMs: 30_000, random: () => 0.5 },
    timers,
  });
  bg.start();
  assert.equal(runs, 1, 'a run at start');
  bg.trigger('edit');
  bg.trigger('edit');
  assert.equal(runs, 1, 'no overlap');
  release!();
  await bg.idle();
  await new Promise((r) => setImmediate(r));
  assert.equal(runs, 2, 'the triggers during the run made exactly one more');
  release!();
  await bg.idle();
  assert.equal(timers.pending.at(-1)!.ms, 60_000, 'next run after the interval');
  fail = true;
  timers.fire();
  release!();
  await bg.idle();
  assert.equal(bg.failures, 1);
  assert.ok(timers.pending.at(-1)!.ms < 60_000, 'a failure retries sooner than the interval');
  timers.fire();
  release!();
  await bg.idle();
  assert.equal(bg.failures, 2);
  online = false;
  timers.fire();
  assert.equal(runs, 4, 'no run while offline');
  online = true;
  fail = false;
  onlineCb!();
  assert.equal(runs, 5, 'the online event runs at once');
  release!();
  await bg.idle();
  assert.equal(bg.failures, 0);
  await bg.stop();
  assert.equal(onlineCb, undefined, 'stop unsubscribes');
});

test('the session form follows the parameters: types, questionnaire by type, thresholds', () => {
  const p = {
    session_types: ['home_visit', 'wound_care'],
    'forms.visit-standard': { version: 4, fields: [{ key: 'mobility', type: 'choice', options: ['none', 'cane'] }, { nokey: true }] },
    'forms.wound_care': { version: 2, fields: [{ key: 'stage', options: ['I', 'II'] }] },
    'alerts.thresholds': { pulse_bpm: [50, 110], lactate_mmol: [0.5, 2.2], bad: [1] },
    'sync.interval_seconds': 120,
  };
  assert.deepEqual(sessionTypes(p), ['home_visit', 'wound_care']);
  assert.deepEqual(sessionTypes({}), ['home_visit', 'clinic_visit', 'phone_call', 'therapy', 'assessment']);
  assert.deepEqual(formFor(p, 'home_visit'), { id: 'visit-standard', version: 4, fields: [{ key: 'mobility', type: 'choice', label: 'Mobility', options: ['none', 'cane'] }] });
  assert.equal(formFor(p, 'wound_care')!.fields[0]!.type, 'choice');
  assert.equal(formFor({}, 'home_visit'), null);
  assert.equal(warningFor(p, 'pulse_bpm', 120), 'above 110 (range 50–110)');
  assert.equal(warningFor(p, 'pulse_bpm', 40), 'below 50 (range 50–110)');
  assert.equal(warningFor(p, 'pulse_bpm', 80), null);
  assert.equal(warningFor(p, 'bad', 5), null);
  assert.ok(measurementList(p).some((m) => m.key === 'lactate_mmol'), 'a threshold key outside FIELD_DATA gets a field');
  assert.equal(intervalSeconds(p), 120);
  assert.equal(intervalSeconds({ 'sync.interval_seconds': 'x' }), 300);
});

test('the bundle: first-load JavaScript within 300 KB gzipped, a service worker with its precache list', async () => {
  const b = await buildFieldWeb();
  const js = gzipSync(b.assets.get('app.js')!.body).length;
  assert.ok(js < 300 * 1024, `app.js is ${js} bytes gzipped`);
  const sw = b.assets.get('sw.js')!.body.toString();
  assert.ok(sw.includes(b.version) && sw.includes('app.js') && sw.includes('manifest.webmanifest'));
  // node:crypto appears only as the name process.getBuiltinModule would look up (absent in a browser).
  assert.ok(!/require\("(node:)?(fs|crypto|path|https?)"\)|from"node:/.test(b.assets.get('app.js')!.body.toString()), 'no Node module in the browser bundle');
});

test('/field/ on the sync server: app shell with CSP, manifest, service worker, the Guardian relay', async () => {
  const s = await startStack();
  const get = (p: string, headers: Record<string, string> = {}) => request(s, s.sync.url, 'GET', p, { headers });
  const redirect = await get('/field');
  assert.equal(redirect.status, 301);
  assert.equal(redirect.headers.location, '/field/');
  const shell = await get('/field/');
  assert.equal(shell.status, 200);
  assert.match(String(shell.headers['content-type']), /text\/html/);
  assert.match(String(shell.headers['content-security-policy']), /script-src 'self'/);
  assert.match(shell.text, /<script src="app.js">/);
  assert.equal((await get('/field/', { 'if-none-match': String(shell.headers.etag) })).status, 304);
  const manifest = (await get('/field/manifest.webmanifest')).json;
  assert.equal(manifest.display, 'standalone');
  // PNG icons (iOS and most launchers ignore SVG): each served, a real PNG of its declared size.
  const pngs = (manifest.icons as Array<{ src: string; sizes: string; type: string }>).filter((i) => i.type === 'image/png');
  assert.ok(pngs.some((i) => i.sizes === '192x192') && pngs.some((i) => i.sizes === '512x512'));
  const built = await buildFieldWeb();
  for (const icon of [...pngs, { src: 'apple-touch-icon.png', sizes: '180x180' }]) {
    const res = await get(`/field/${icon.src}`);
    assert.equal(res.status, 200, icon.src);
    assert.equal(res.headers['content-type'], 'image/png');
    const png = built.assets.get(icon.src)!.body;
    assert.equal(Number(res.headers['content-length']), png.length);
    assert.equal(png.subarray(1, 4).toString(), 'PNG');
    assert.equal(`${png.readUInt32BE(16)}x${png.readUInt32BE(20)}`, icon.sizes, `${icon.src} is ${icon.sizes}`);
  }
  assert.match(shell.text, /rel="apple-touch-icon" href="apple-touch-icon.png"/);
  assert.match(String((await get('/field/sw.js')).headers['content-type']), /javascript/);
  assert.equal((await get('/field/nothing.js')).json.code, 'not_found');

  const bad = await request(s, s.sync.url, 'POST', '/field/guardian/v1/enroll', { json: { enrollment_code: 'NOPE-NOPE' } });
  assert.equal(bad.status, 400);
  assert.equal(bad.json.code, 'invalid_enrollment_code');
  const good = await request(s, s.sync.url, 'POST', '/field/guardian/v1/enroll', { json: { enrollment_code: await enrollmentCode(s) } });
  assert.equal(good.status, 201);
  const token = await request(s, s.sync.url, 'POST', '/field/guardian/v1/token', { json: { device_id: good.json.device_id, device_secret: good.json.device_secret } });
  assert.equal(token.status, 200);
  assert.equal(token.headers['cache-control'], 'no-store');
  const pull = await request(s, s.sync.url, 'GET', '/v1/sync/pull', { headers: { authorization: `Bearer ${token.json.access_token}` } });
  assert.equal(pull.status, 200, 'the relayed token works on the API');
  assert.equal((await request(s, s.sync.url, 'POST', '/field/guardian/v1/jwks.json', { json: {} })).status, 404);
});
