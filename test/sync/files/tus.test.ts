// tus 1.0.0 at /v1/uploads over real HTTPS, with the standard tus-js-client
// where a client's behaviour matters and raw requests where the wire does.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import https from 'node:https';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import * as tus from 'tus-js-client';
import { startStack, enrolDevice, auth, type Stack, type Device } from '../stack.ts';
import { pdf, send, sha256 } from './helpers.ts';

const s: Stack = await startStack();
const [a, c] = (await Promise.all([enrolDevice(s, { groups: ['g1'] }), enrolDevice(s, { groups: ['g2'] })])) as [Device, Device];

const TUS = { 'tus-resumable': '1.0.0' };
const stored = (sha: string) => path.join(s.settings.filesDir, sha.slice(0, 2), sha.slice(2, 4), sha);
const tusDir = () => path.join(s.settings.filesDir, 'tmp', 'tus');
const tusEntries = (id: string) => (existsSync(tusDir()) ? readdirSync(tusDir()).filter((e) => e.startsWith(id)) : []);
const rows = (sha: string) => s.t.query<{ via: string; device_id: string }>('admin', 'SELECT via, device_id FROM nexus.files WHERE sha256 = $1', [sha]);
const b64 = (v: string) => Buffer.from(v).toString('base64');
const metadata = (sha: string, type = 'application/pdf') => `sha256 ${b64(sha)},content_type ${b64(type)},filename ${b64('scan.pdf')}`;
const digest = (alg: string, b: Buffer) => createHash(alg).update(b).digest('base64');

async function create(d: Device, size: number, meta: string): Promise<string> {
  const r = await send(s, 'POST', '/v1/uploads', d.token, { headers: { ...TUS, 'upload-length': String(size), 'upload-metadata': meta } });
  assert.equal(r.status, 201, r.text);
  const location = String(r.headers.location);
  assert.match(location, /^https:\/\/127\.0\.0\.1:\d+\/v1\/uploads\/[0-9a-f]{32}$/);
  return location;
}

function patch(d: Device, url: string, offset: number, body: Buffer, extra: Record<string, string> = {}) {
  return send(s, 'PATCH', url, d.token, { headers: { ...TUS, 'upload-offset': String(offset), 'content-type': 'application/offset+octet-stream', ...extra }, body });
}

const head = (d: Device, url: string) => send(s, 'HEAD', url, d.token, { headers: TUS });

/** tus-js-client, unchanged, with our CA and token; resolves with the upload once it succeeds. */
function clientUpload(d: Device, bytes: Buffer, meta: Record<string, string>, opts: Partial<tus.UploadOptions> = {}): { upload: tus.Upload; done: Promise<tus.Upload> } {
  let upload!: tus.Upload;
  const done = new Promise<tus.Upload>((resolve, reject) => {
    upload = new tus.Upload(bytes, {
      endpoint: `${s.sync.url}/v1/uploads`,
      metadata: meta,
      headers: auth(d.token),
      chunkSize: 256 * 1024,
      retryDelays: null,
      httpStack: new tus.DefaultHttpStack({ agent: s.agent }),
      onSuccess: () => resolve(upload),
      onError: reject,
      ...opts,
    });
  });
  upload.start();
  return { upload, done };
}

test('OPTIONS advertises tus 1.0.0 with creation, termination and checksum', async () => {
  const r = await send(s, 'OPTIONS', '/v1/uploads', a.token);
  assert.equal(r.status, 204);
  assert.equal(r.headers['tus-version'], '1.0.0');
  const ext = String(r.headers['tus-extension']).split(',');
  for (const e of ['creation', 'termination', 'checksum', 'expiration']) assert.ok(ext.includes(e), e);
  assert.equal(r.headers['tus-checksum-algorithm'], 'sha256,sha1');
  assert.equal(r.headers['tus-max-size'], String(64 * 1024 * 1024));
});

test('tus-js-client uploads a file; it is hash-verified and filed under its sha256', async () => {
  const f = pdf(1_000_000);
  const { done } = clientUpload(a, f.bytes, { sha256: f.sha, content_type: 'application/pdf', filename: 'x.pdf' });
  const upload = await done;
  assert.deepEqual(readFileSync(stored(f.sha)), f.bytes);
  assert.deepEqual(await rows(f.sha), [{ via: 'tus', device_id: a.deviceId }]);
  // The finished upload still answers HEAD as complete (a client that lost the last reply is done).
  const h = await head(a, upload.url!);
  assert.equal(h.status, 200);
  assert.equal(h.headers['upload-offset'], '1000000');
  assert.equal(h.headers['upload-length'], '1000000');
  // Its bytes moved into the store: nothing of it is left in the upload folder but its record.
  const id = upload.url!.split('/').pop()!;
  assert.deepEqual(tusEntries(id), [`${id}.json`]);
});

test('an upload cut off mid-PATCH resumes from the server\u2019s offset with tus-js-client', async () => {
  const f = pdf(4 * 1024 * 1024);
  const url = await create(a, f.bytes.length, metadata(f.sha));
  // Send a third of the body, then drop the connection.
  await new Promise<void>((resolve) => {
    const req = https.request(url, {
      method: 'PATCH',
      agent: false,
      ca: s.ca,
      headers: { ...auth(a.token), ...TUS, 'upload-offset': '0', 'content-type': 'application/offset+octet-stream', 'content-length': String(f.bytes.length) },
    });
    req.on('error', () => resolve());
    req.write(f.bytes.subarray(0, Math.floor(f.bytes.length / 3)), () => {
      setTimeout(() => {
        req.destroy();
        resolve();
      }, 300);
    });
  });
  // The server keeps what arrived; wait until the offset settles.
  let offset = -1;
  for (let i = 0; i < 50; i++) {
    const h = await head(a, url);
    const now = Number(h.headers['upload-offset']);
    if (now === offset && now > 0) break;
    offset = now;
    await sleep(100);
  }
  assert.ok(offset > 0 && offset < f.bytes.length, `offset ${offset}`);
  assert.equal(existsSync(stored(f.sha)), false);

  const patchOffsets: number[] = [];
  const { done } = clientUpload(a, f.bytes, { sha256: f.sha, content_type: 'application/pdf' }, {
    uploadUrl: url,
    chunkSize: 1024 * 1024,
    onBeforeRequest: (req) => {
      if (req.getMethod() === 'PATCH') patchOffsets.push(Number(req.getHeader('Upload-Offset')));
    },
  });
  await done;
  assert.equal(patchOffsets[0], offset, 'resumed where the server was, not from 0');
  assert.equal(sha256(readFileSync(stored(f.sha))), f.sha);
  assert.deepEqual(await rows(f.sha), [{ via: 'tus', device_id: a.deviceId }]);
});

test('tus-js-client abort and resume from its upload URL', async () => {
  const f = pdf(2 * 1024 * 1024);
  let chunks = 0;
  const first = clientUpload(a, f.bytes, { sha256: f.sha, content_type: 'application/pdf' }, {
    onChunkComplete: () => {
      if (++chunks === 3) void first.upload.abort();
    },
  });
  first.done.catch(() => undefined);
  for (let i = 0; i < 100 && chunks < 3; i++) await sleep(20);
  await sleep(100);
  const url = first.upload.url!;
  assert.equal((await head(a, url)).headers['upload-offset'], String(3 * 256 * 1024));
  const offsets: number[] = [];
  await clientUpload(a, f.bytes, { sha256: f.sha, content_type: 'application/pdf' }, {
    uploadUrl: url,
    onBeforeRequest: (req) => {
      if (req.getMethod() === 'PATCH') offsets.push(Number(req.getHeader('Upload-Offset')));
    },
  }).done;
  assert.equal(offsets[0], 3 * 256 * 1024);
  assert.equal(sha256(readFileSync(stored(f.sha))), f.sha);
});

test('an upload whose bytes do not match its sha256 is discarded (422 file_hash_mismatch)', async () => {
  const f = pdf(300_000);
  const wrong = sha256(Buffer.from('not these bytes'));
  const { upload, done } = clientUpload(a, f.bytes, { sha256: wrong, content_type: 'application/pdf' });
  const err = (await done.then(() => undefined, (e: unknown) => e)) as tus.DetailedError;
  assert.ok(err, 'the upload must fail');
  const res = err.originalResponse!;
  assert.equal(res.getStatus(), 422);
  assert.equal(JSON.parse(res.getBody()).code, 'file_hash_mismatch');
  assert.equal(res.getHeader('Content-Type'), 'application/problem+json');
  const id = upload.url!.split('/').pop()!;
  assert.equal((await head(a, upload.url!)).status, 404);
  assert.deepEqual(tusEntries(id), []);
  assert.equal(existsSync(stored(wrong)), false);
  assert.equal(existsSync(stored(f.sha)), false);
  assert.deepEqual(await rows(wrong), []);
});

test('checksum extension: sha1 and sha256 verified per PATCH; 460 discards the chunk; unknown algorithm 400', async () => {
  const f = pdf(100);
  const url = await create(a, 100, metadata(f.sha));
  const p1 = f.bytes.subarray(0, 50);
  const p2 = f.bytes.subarray(50);
  const ok1 = await patch(a, url, 0, p1, { 'upload-checksum': `sha1 ${digest('sha1', p1)}` });
  assert.equal(ok1.status, 204);
  assert.equal(ok1.headers['upload-offset'], '50');
  const bad = await patch(a, url, 50, p2, { 'upload-checksum': `sha256 ${digest('sha256', p1)}` });
  assert.equal(bad.status, 460);
  assert.equal((await head(a, url)).headers['upload-offset'], '50');
  const md5 = await patch(a, url, 50, p2, { 'upload-checksum': `md5 ${digest('md5', p2)}` });
  assert.equal(md5.status, 400);
  assert.equal(md5.json.code, 'invalid_request');
  const garbage = await patch(a, url, 50, p2, { 'upload-checksum': 'sha256' });
  assert.equal(garbage.status, 400);
  assert.equal((await head(a, url)).headers['upload-offset'], '50');
  const ok2 = await patch(a, url, 50, p2, { 'upload-checksum': `sha256 ${digest('sha256', p2)}` });
  assert.equal(ok2.status, 204);
  assert.equal(ok2.headers['nexus-file-status'], 'created');
  assert.deepEqual(readFileSync(stored(f.sha)), f.bytes);
});

test('creation needs sha256 and an allowed content_type in Upload-Metadata, and a length within the limit', async () => {
  const f = pdf(100);
  const cases: Array<[Record<string, string>, number, string]> = [
    [{ 'upload-length': '100', 'upload-metadata': `content_type ${b64('application/pdf')}` }, 400, 'invalid_request'],
    [{ 'upload-length': '100', 'upload-metadata': `sha256 ${b64('ABC')},content_type ${b64('application/pdf')}` }, 400, 'invalid_request'],
    [{ 'upload-length': '100', 'upload-metadata': `sha256 ${b64(f.sha)}` }, 400, 'invalid_request'],
    [{ 'upload-length': '100' }, 400, 'invalid_request'],
    [{ 'upload-length': '100', 'upload-metadata': 'sha256 !!!,,' }, 400, 'invalid_request'],
    [{ 'upload-length': '100', 'upload-metadata': metadata(f.sha, 'image/png') }, 415, 'unsupported_content_type'],
    [{ 'upload-length': String(64 * 1024 * 1024 + 1), 'upload-metadata': metadata(f.sha) }, 413, 'file_too_large'],
    [{ 'upload-defer-length': '1', 'upload-metadata': metadata(f.sha) }, 400, 'invalid_request'],
    [{ 'upload-metadata': metadata(f.sha) }, 400, 'invalid_request'],
  ];
  for (const [headers, status, code] of cases) {
    const r = await send(s, 'POST', '/v1/uploads', a.token, { headers: { ...TUS, ...headers } });
    assert.equal(r.status, status, JSON.stringify(headers));
    assert.equal(r.json.code, code);
    assert.equal(r.headers['tus-resumable'], '1.0.0');
    assert.match(String(r.headers['content-type']), /application\/problem\+json/);
  }
  assert.ok(!existsSync(tusDir()) || readdirSync(tusDir()).every((e) => !e.endsWith('.json') || JSON.parse(readFileSync(path.join(tusDir(), e), 'utf8')).metadata?.sha256 !== f.sha));
});

test('termination deletes an unfinished upload and its bytes', async () => {
  const f = pdf(100);
  const url = await create(a, 100, metadata(f.sha));
  assert.equal((await patch(a, url, 0, f.bytes.subarray(0, 40))).status, 204);
  const id = url.split('/').pop()!;
  assert.equal(tusEntries(id).length, 2);
  const del = await send(s, 'DELETE', url, a.token, { headers: TUS });
  assert.equal(del.status, 204);
  assert.equal((await head(a, url)).status, 404);
  assert.deepEqual(tusEntries(id), []);
  assert.equal((await patch(a, url, 40, f.bytes.subarray(40))).status, 404);
});

test('another device cannot see, resume or delete an upload; no token, no upload', async () => {
  const f = pdf(100);
  const url = await create(a, 100, metadata(f.sha));
  assert.equal((await head(c, url)).status, 404);
  assert.equal((await patch(c, url, 0, f.bytes)).status, 404);
  assert.equal((await send(s, 'DELETE', url, c.token, { headers: TUS })).status, 404);
  assert.equal((await head(a, url)).headers['upload-offset'], '0');
  const anon = await send(s, 'POST', '/v1/uploads', '', { headers: { ...TUS, 'upload-length': '100', 'upload-metadata': metadata(f.sha), authorization: '' } });
  assert.equal(anon.status, 401);
  const badId = await send(s, 'HEAD', '/v1/uploads/..%2F..%2Fetc', a.token, { headers: TUS });
  assert.equal(badId.status, 404);
});

test('a complete upload whose filing was cut short is filed (or discarded) at the next HEAD', async () => {
  const good = pdf(100);
  const goodUrl = await create(a, 100, metadata(good.sha));
  // As if the server died after the last byte was written but before filing.
  writeFileSync(path.join(tusDir(), goodUrl.split('/').pop()!), good.bytes);
  const h = await head(a, goodUrl);
  assert.equal(h.status, 200);
  assert.equal(h.headers['upload-offset'], '100');
  assert.deepEqual(readFileSync(stored(good.sha)), good.bytes);
  assert.equal((await rows(good.sha)).length, 1);

  const bad = pdf(100);
  const badUrl = await create(a, 100, metadata(bad.sha));
  writeFileSync(path.join(tusDir(), badUrl.split('/').pop()!), pdf(100).bytes);
  assert.equal((await head(a, badUrl)).status, 404);
  assert.equal(existsSync(stored(bad.sha)), false);
});

test('expiration: Upload-Expires is announced; an expired upload is gone (410)', async () => {
  const f = pdf(100);
  const r = await send(s, 'POST', '/v1/uploads', a.token, { headers: { ...TUS, 'upload-length': '100', 'upload-metadata': metadata(f.sha) } });
  const expires = Date.parse(String(r.headers['upload-expires']));
  assert.ok(Math.abs(expires - (Date.now() + 168 * 3600_000)) < 60_000, String(r.headers['upload-expires']));
  const url = String(r.headers.location);
  assert.equal((await patch(a, url, 0, f.bytes.subarray(0, 10))).status, 204);
  // Age the upload's record by eight days.
  const record = path.join(tusDir(), `${url.split('/').pop()!}.json`);
  const info = JSON.parse(readFileSync(record, 'utf8'));
  info.creation_date = new Date(Date.now() - 8 * 24 * 3600_000).toISOString();
  writeFileSync(record, JSON.stringify(info));
  assert.equal((await head(a, url)).status, 410);
  assert.equal((await patch(a, url, 10, f.bytes.subarray(10))).status, 410);
});

test('creation-with-upload: the POST body counts, with its checksum verified', async () => {
  const f = pdf(5000);
  const post = (sum: string) =>
    send(s, 'POST', '/v1/uploads', a.token, {
      headers: { ...TUS, 'upload-length': '5000', 'upload-metadata': metadata(f.sha), 'content-type': 'application/offset+octet-stream', 'upload-checksum': sum },
      body: f.bytes,
    });
  const bad = await post(`sha1 ${digest('sha1', Buffer.from('x'))}`);
  assert.equal(bad.status, 460);
  assert.equal(existsSync(stored(f.sha)), false);
  const ok = await post(`sha1 ${digest('sha1', f.bytes)}`);
  assert.equal(ok.status, 201, ok.text);
  assert.equal(ok.headers['upload-offset'], '5000');
  assert.deepEqual(readFileSync(stored(f.sha)), f.bytes);
  // And tus-js-client's own variant of it.
  const g = pdf(7000);
  await clientUpload(a, g.bytes, { sha256: g.sha, content_type: 'application/pdf' }, { uploadDataDuringCreation: true }).done;
  assert.deepEqual(readFileSync(stored(g.sha)), g.bytes);
});

test('an internal failure while filing is a 500 that shows nothing of it', async () => {
  const f = pdf(100);
  // A file where the store needs a folder: filing fails inside the server.
  mkdirSync(path.join(s.settings.filesDir, f.sha.slice(0, 2)), { recursive: true });
  writeFileSync(path.join(s.settings.filesDir, f.sha.slice(0, 2), f.sha.slice(2, 4)), 'in the way');
  const url = await create(a, 100, metadata(f.sha));
  const r = await patch(a, url, 0, f.bytes);
  assert.equal(r.status, 500);
  assert.doesNotMatch(r.text, /ENOTDIR|EEXIST|mkdir|\/tmp|at /);
  const put = await send(s, 'PUT', `/v1/files/${f.sha}`, a.token, { headers: { 'content-type': 'application/pdf' }, body: f.bytes });
  assert.equal(put.status, 500);
  assert.equal(put.json.code, 'internal_error');
  assert.doesNotMatch(put.text, /ENOTDIR|EEXIST|mkdir|\/tmp/);
  assert.deepEqual(await rows(f.sha), []);
});
