// SYNC_PROTOCOL §3 over real HTTPS against the real sync server (Guardian
// tokens, PostgreSQL): check, PUT, GET with Range, HEAD, visibility.

import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import https from 'node:https';
import { setTimeout as sleep } from 'node:timers/promises';
import { randomUUID } from 'node:crypto';
import { startStack, enrolDevice, request, auth, push, makeOp, type Stack, type Device } from '../stack.ts';
import { pdf, send, headersOnly, pushDocument, sha256 } from './helpers.ts';

// Top level, not in before(): the stack registers its own after() clean-up.
const s: Stack = await startStack();
// a: group g1, pushes the records; b: group g1, never pushed anything; c: group g2.
const [a, b, c] = await Promise.all([enrolDevice(s, { groups: ['g1'] }), enrolDevice(s, { groups: ['g1'] }), enrolDevice(s, { groups: ['g2'] })]) as [Device, Device, Device];
const patient = randomUUID();

const stored = (sha: string) => path.join(s.settings.filesDir, sha.slice(0, 2), sha.slice(2, 4), sha);
const tmpEntries = () => (existsSync(path.join(s.settings.filesDir, 'tmp')) ? readdirSync(path.join(s.settings.filesDir, 'tmp')).filter((e) => e !== 'tus') : []);
const rows = (sha: string) => s.t.query<{ size_bytes: string; content_type: string; via: string; device_id: string }>('admin', 'SELECT * FROM nexus.files WHERE sha256 = $1', [sha]);
const put = (d: Device, sha: string, body: Buffer, type = 'application/pdf') => send(s, 'PUT', `/v1/files/${sha}`, d.token, { headers: { 'content-type': type }, body });

describe('POST /v1/files/check', () => {
  test('lists the hashes the server lacks, once each, in order', async () => {
    const f = pdf();
    const x = 'a'.repeat(64);
    assert.equal((await put(a, f.sha, f.bytes)).status, 201);
    const r = await request(s, s.sync.url, 'POST', '/v1/files/check', { headers: auth(a.token), json: { sha256: [x, f.sha, x] } });
    assert.equal(r.status, 200);
    assert.deepEqual(r.json, { missing: [x] });
    const empty = await request(s, s.sync.url, 'POST', '/v1/files/check', { headers: auth(a.token), json: { sha256: [] } });
    assert.deepEqual(empty.json, { missing: [] });
  });

  test('refuses malformed requests with 400 invalid_request', async () => {
    const bad = [{}, { sha256: 'x' }, { sha256: ['A'.repeat(64)] }, { sha256: ['a'.repeat(63)] }, { sha256: Array(1001).fill('b'.repeat(64)) }, { sha256: [1] }];
    for (const json of bad) {
      const r = await request(s, s.sync.url, 'POST', '/v1/files/check', { headers: auth(a.token), json });
      assert.equal(r.status, 400, JSON.stringify(json).slice(0, 80));
      assert.equal(r.json.code, 'invalid_request');
      assert.match(String(r.headers['content-type']), /application\/problem\+json/);
    }
    const ok = await request(s, s.sync.url, 'POST', '/v1/files/check', { headers: auth(a.token), json: { sha256: Array(1000).fill('b'.repeat(64)) } });
    assert.equal(ok.status, 200);
  });

  test('needs a token', async () => {
    const r = await request(s, s.sync.url, 'POST', '/v1/files/check', { json: { sha256: [] } });
    assert.equal(r.status, 401);
  });
});

describe('PUT /v1/files/{sha256}', () => {
  test('201 stores the bytes under their hash with a row; 200 when stored already', async () => {
    const f = pdf(200_000);
    const first = await put(a, f.sha, f.bytes);
    assert.equal(first.status, 201);
    assert.deepEqual(first.json, { sha256: f.sha, size: 200_000, content_type: 'application/pdf' });
    assert.deepEqual(readFileSync(stored(f.sha)), f.bytes);
    const [row] = await rows(f.sha);
    assert.equal(Number(row!.size_bytes), 200_000);
    assert.equal(row!.via, 'put');
    assert.equal(row!.device_id, a.deviceId);
    const again = await put(b, f.sha, f.bytes, 'application/pdf; charset=binary');
    assert.equal(again.status, 200);
    assert.equal((await rows(f.sha)).length, 1);
    assert.deepEqual(tmpEntries(), []);
  });

  test('a hash mismatch is 422 file_hash_mismatch and leaves nothing behind', async () => {
    const f = pdf(50_000);
    const wrong = sha256(Buffer.from('something else'));
    const r = await put(a, wrong, f.bytes);
    assert.equal(r.status, 422);
    assert.equal(r.json.code, 'file_hash_mismatch');
    assert.equal(r.json.actual_sha256, f.sha);
    assert.equal(existsSync(stored(wrong)), false);
    assert.equal(existsSync(stored(f.sha)), false);
    assert.deepEqual(tmpEntries(), []);
    assert.deepEqual(await rows(wrong), []);
    assert.deepEqual(await rows(f.sha), []);
  });

  test('a mismatch against an already stored file is still 422', async () => {
    const f = pdf(1000);
    assert.equal((await put(a, f.sha, f.bytes)).status, 201);
    const r = await put(a, f.sha, Buffer.concat([f.bytes, Buffer.from('x')]));
    assert.equal(r.status, 422);
    assert.deepEqual(readFileSync(stored(f.sha)), f.bytes);
  });

  test('415 unsupported_content_type for types outside the list, or none', async () => {
    const f = pdf(100);
    for (const type of ['image/png', 'text/html', 'application/json']) {
      const r = await put(a, f.sha, f.bytes, type);
      assert.equal(r.status, 415, type);
      assert.equal(r.json.code, 'unsupported_content_type');
    }
    const none = await send(s, 'PUT', `/v1/files/${f.sha}`, a.token, { body: f.bytes });
    assert.equal(none.status, 415);
    assert.equal(existsSync(stored(f.sha)), false);
    assert.deepEqual(tmpEntries(), []);
  });

  test('413 file_too_large from Content-Length alone, before any byte', async () => {
    const r = await headersOnly(s, 'PUT', `/v1/files/${'c'.repeat(64)}`, a.token, { 'content-type': 'application/pdf', 'content-length': String(64 * 1024 * 1024 + 1) });
    assert.equal(r.status, 413);
    assert.equal(r.json.code, 'file_too_large');
    assert.equal(r.json.max_bytes, 64 * 1024 * 1024);
    assert.equal(r.headers.connection, 'close');
  });

  test('411 length_required without Content-Length', async () => {
    const r = await headersOnly(s, 'PUT', `/v1/files/${'c'.repeat(64)}`, a.token, { 'content-type': 'application/pdf', 'transfer-encoding': 'chunked' });
    assert.equal(r.status, 411);
    assert.equal(r.json.code, 'length_required');
  });

  test('400 for a path that is not a sha256', async () => {
    for (const name of ['A'.repeat(64), 'abc', '..%2F..%2Fetc%2Fpasswd', `${'a'.repeat(64)}.pdf`]) {
      const r = await put(a, name, Buffer.from('x'));
      assert.equal(r.status, 400, name);
      assert.equal(r.json.code, 'invalid_request');
    }
  });

  test('a PUT cut off mid-body leaves no temp file and no row', async () => {
    const f = pdf(1024 * 1024);
    await new Promise<void>((resolve) => {
      const req = https.request(new URL(`/v1/files/${f.sha}`, s.sync.url), {
        method: 'PUT',
        agent: false,
        ca: s.ca,
        headers: { ...auth(a.token), 'content-type': 'application/pdf', 'content-length': String(f.bytes.length) },
      });
      req.on('error', () => resolve());
      req.write(f.bytes.subarray(0, 200_000), () => setTimeout(() => (req.destroy(), resolve()), 200));
    });
    for (let i = 0; i < 50 && tmpEntries().length > 0; i++) await sleep(20);
    assert.deepEqual(tmpEntries(), []);
    assert.equal(existsSync(stored(f.sha)), false);
    assert.deepEqual(await rows(f.sha), []);
  });

  test('concurrent PUTs of the same file: one 201, the rest 200, one intact copy', async () => {
    const f = pdf(3 * 1024 * 1024);
    const replies = await Promise.all(Array.from({ length: 6 }, () => put(a, f.sha, f.bytes)));
    const statuses = replies.map((r) => r.status).sort();
    assert.deepEqual(statuses, [200, 200, 200, 200, 200, 201]);
    assert.equal(sha256(readFileSync(stored(f.sha))), f.sha);
    assert.equal((await rows(f.sha)).length, 1);
    assert.deepEqual(tmpEntries(), []);
  });
});

describe('GET and HEAD /v1/files/{sha256}', () => {
  const f = pdf(10_000);
  let seqA = 0;

  before(async () => {
    assert.equal((await put(a, f.sha, f.bytes)).status, 201);
  });

  test('404 while no record refers to the file, even for its uploader', async () => {
    const r = await send(s, 'GET', `/v1/files/${f.sha}`, a.token);
    assert.equal(r.status, 404);
    assert.equal(r.json.code, 'not_found');
  });

  test('visible to the pushing device and its group, 404 to another group', async () => {
    const pushed = await pushDocument(s, a, ++seqA, { sha: f.sha, size: f.bytes.length }, patient);
    assert.equal(pushed.status, 200, pushed.text);
    assert.equal(pushed.json.results[0].status, 'applied', pushed.text);

    for (const d of [a, b]) {
      const r = await send(s, 'GET', `/v1/files/${f.sha}`, d.token);
      assert.equal(r.status, 200);
      assert.deepEqual(r.body, f.bytes);
      assert.equal(r.headers['content-type'], 'application/pdf');
      assert.equal(r.headers.etag, `"${f.sha}"`);
      assert.equal(r.headers['accept-ranges'], 'bytes');
      assert.equal(r.headers['content-length'], String(f.bytes.length));
    }
    const other = await send(s, 'GET', `/v1/files/${f.sha}`, c.token);
    const nothing = await send(s, 'GET', `/v1/files/${'d'.repeat(64)}`, c.token);
    assert.equal(other.status, 404);
    assert.equal(other.json.code, 'not_found');
    assert.equal(nothing.status, 404);
    assert.deepEqual(Object.keys(other.json).sort(), Object.keys(nothing.json).sort());
    assert.equal((await send(s, 'HEAD', `/v1/files/${f.sha}`, c.token)).status, 404);
  });

  test('a device without groups sees what it pushed itself; a rejected op makes nothing visible', async () => {
    const loner = await enrolDevice(s);
    const g = pdf(500);
    assert.equal((await put(loner, g.sha, g.bytes)).status, 201);
    const other = randomUUID();
    const r = await pushDocument(s, loner, 1, { sha: g.sha, size: 500 }, other);
    assert.equal(r.json.results[0].status, 'applied', r.text);
    assert.equal((await send(s, 'GET', `/v1/files/${g.sha}`, loner.token)).status, 200);
    assert.equal((await send(s, 'GET', `/v1/files/${g.sha}`, a.token)).status, 404);

    const h = pdf(600);
    assert.equal((await put(a, h.sha, h.bytes)).status, 201);
    const payload = { sha256: h.sha, size: 600, content_type: 'application/pdf', file_name: 'x.pdf' };
    const rejected = await push(s, a, [makeOp(++seqA, { entity: 'document', patient_id: patient, entity_id: randomUUID(), payload, payload_sha256: 'e'.repeat(64) })]);
    assert.equal(rejected.json.results[0].status, 'rejected', rejected.text);
    assert.equal((await send(s, 'GET', `/v1/files/${h.sha}`, a.token)).status, 404);
  });

  test('single ranges: 206 with Content-Range; suffix and open ranges', async () => {
    const cases: Array<[string, number, number]> = [
      ['bytes=0-99', 0, 99],
      ['bytes=9990-', 9990, 9999],
      ['bytes=-100', 9900, 9999],
      ['bytes=5000-999999', 5000, 9999],
      ['bytes=0-0', 0, 0],
    ];
    for (const [range, start, end] of cases) {
      const r = await send(s, 'GET', `/v1/files/${f.sha}`, b.token, { headers: { range } });
      assert.equal(r.status, 206, range);
      assert.equal(r.headers['content-range'], `bytes ${start}-${end}/10000`);
      assert.equal(r.headers['content-length'], String(end - start + 1));
      assert.deepEqual(r.body, f.bytes.subarray(start, end + 1));
    }
  });

  test('unsatisfiable range: 416 with Content-Range bytes */size', async () => {
    for (const range of ['bytes=10000-', 'bytes=20000-30000', 'bytes=-0']) {
      const r = await send(s, 'GET', `/v1/files/${f.sha}`, a.token, { headers: { range } });
      assert.equal(r.status, 416, range);
      assert.equal(r.headers['content-range'], 'bytes */10000');
    }
  });

  test('several ranges, other units, or a stale If-Range get the whole file', async () => {
    const variants: Array<Record<string, string>> = [{ range: 'bytes=0-1,5-6' }, { range: 'items=0-1' }, { range: 'bytes=0-1', 'if-range': '"other"' }];
    for (const headers of variants) {
      const r = await send(s, 'GET', `/v1/files/${f.sha}`, a.token, { headers });
      assert.equal(r.status, 200);
      assert.equal(r.body.length, 10_000);
    }
    const fresh = await send(s, 'GET', `/v1/files/${f.sha}`, a.token, { headers: { range: 'bytes=0-1', 'if-range': `"${f.sha}"` } });
    assert.equal(fresh.status, 206);
  });

  test('HEAD gives the headers without a body; If-None-Match gives 304', async () => {
    const h = await send(s, 'HEAD', `/v1/files/${f.sha}`, a.token);
    assert.equal(h.status, 200);
    assert.equal(h.headers['content-length'], '10000');
    assert.equal(h.headers['content-type'], 'application/pdf');
    assert.equal(h.body.length, 0);
    const hr = await send(s, 'HEAD', `/v1/files/${f.sha}`, a.token, { headers: { range: 'bytes=10-19' } });
    assert.equal(hr.status, 206);
    assert.equal(hr.headers['content-length'], '10');
    const nm = await send(s, 'GET', `/v1/files/${f.sha}`, a.token, { headers: { 'if-none-match': `"${f.sha}"` } });
    assert.equal(nm.status, 304);
    assert.equal(nm.body.length, 0);
  });

  test('400 for a name that is not a sha256', async () => {
    const r = await send(s, 'GET', '/v1/files/..%2F..%2Fetc%2Fpasswd', a.token);
    assert.equal(r.status, 400);
  });
});
