// Seeded hostile requests to the file endpoints (check, PUT, GET/HEAD, tus),
// interleaved with real uploads that must succeed. Asserts: never a 5xx;
// errors are problem documents with known codes (tus may answer with its own
// plain-text statuses where the protocol says so); downloads and ranges give
// the right bytes; afterwards every row in nexus.files has its bytes on disk
// with the right size and hash, and nothing is stored without a row.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import tls from 'node:tls';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { startStack, enrolDevice, request, auth, type Stack, type Device } from '../stack.ts';
import { hostileBody, rng, type Rand } from '../fuzz-gen.ts';
import { send, sha256, pushDocument, type StreamReply } from './helpers.ts';

const SEED = 20261128;
const REQUESTS = 3000;
const MAX_BYTES = 512 * 1024;

const s: Stack = await startStack({ NEXUS_FILE_MAX_BYTES: String(MAX_BYTES) });
const [a, c] = (await Promise.all([enrolDevice(s, { groups: ['g1'] }), enrolDevice(s, { groups: ['g2'] })])) as [Device, Device];
const port = Number(new URL(s.sync.url).port);
const dir = s.settings.filesDir;
const stored = (sha: string) => path.join(dir, sha.slice(0, 2), sha.slice(2, 4), sha);

/** Codes the file routes, the /v1 auth hook and src/core/http.ts may answer with. */
const KNOWN_CODES = new Set([
  'invalid_request', 'not_found', 'length_required', 'file_too_large', 'unsupported_content_type', 'file_hash_mismatch',
  'unauthorized', 'invalid_token', 'protocol_unsupported', 'request_too_large', 'request_timeout',
]);
/** tus' own plain-text answers the protocol defines: bad offset header (403), wrong PATCH type (403), gone (404/410), offset conflict (409), version (412), size (413), checksum (460), lock lost to a newer request (400). */
const TUS_PLAIN = new Set([400, 403, 404, 409, 410, 412, 413, 460]);

const TYPES = ['application/pdf', 'image/jpeg'];
const b64 = (v: string) => Buffer.from(v).toString('base64');
const meta = (sha: string, type: string) => `sha256 ${b64(sha)},content_type ${b64(type)},filename ${b64('scan.pdf')}`;
const digest = (alg: string, b: Buffer) => createHash(alg).update(b).digest('base64');
const TUS = { 'tus-resumable': '1.0.0' };
const OCTETS = { ...TUS, 'content-type': 'application/offset+octet-stream' };

function pick<T>(r: Rand, xs: readonly T[]): T {
  return xs[Math.floor(r() * xs.length)]!;
}

function bytesOf(r: Rand, max = 60_000, min = 0): Buffer {
  const size = r() < 0.05 ? min : min + Math.floor(r() * (max - min));
  return randomBytes(size);
}

/** A raw exchange on a fresh TLS connection: `parts` are written in order; `cut` destroys the socket after them. */
function wire(parts: Array<string | Buffer>, opts: { cut?: boolean } = {}): Promise<string> {
  return new Promise((resolve) => {
    const sock = tls.connect({ host: '127.0.0.1', port, ca: s.ca });
    const chunks: Buffer[] = [];
    sock.on('data', (d: Buffer) => chunks.push(d));
    sock.on('close', () => resolve(Buffer.concat(chunks).toString('latin1')));
    sock.on('error', () => undefined);
    sock.on('secureConnect', async () => {
      for (const p of parts) sock.write(p);
      if (opts.cut) {
        await sleep(50);
        sock.destroy();
      }
    });
    setTimeout(() => sock.destroy(), 15_000).unref();
  });
}

function parseWire(text: string): { status: number; type: string; json: any } | undefined {
  const m = /^HTTP\/1\.1 (\d{3})[^\r]*\r\n([\s\S]*?)\r\n\r\n([\s\S]*)$/.exec(text);
  if (!m) return undefined;
  const type = /^content-type: *([^\r]+)/im.exec(m[2]!)?.[1] ?? '';
  const len = Number(/^content-length: *(\d+)/im.exec(m[2]!)?.[1] ?? 0);
  let json: unknown;
  try { json = JSON.parse(m[3]!.slice(0, len)); } catch { json = undefined; }
  return { status: Number(m[1]), type, json };
}

const reqHead = (method: string, p: string, d: Device, headers: Record<string, string>) =>
  [`${method} ${p} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${d.token}\r\nConnection: close\r\n${Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`).join('')}\r\n`];

/** What a Range header must give for a file of `size` bytes (RFC 9110 §14, README: one range, else the whole file). */
function expectedRange(header: string | undefined, size: number): 'full' | 'unsatisfiable' | [number, number] {
  if (header === undefined) return 'full';
  const m = /^\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*$/i.exec(header);
  if (!m || (m[1] === '' && m[2] === '')) return 'full';
  if (m[1] === '') {
    const n = Number(m[2]);
    return n === 0 || size === 0 ? 'unsatisfiable' : [Math.max(0, size - n), size - 1];
  }
  const first = Number(m[1]);
  if (m[2] !== '' && Number(m[2]) < first) return 'full';
  if (first >= size) return 'unsatisfiable';
  return [first, m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1)];
}

const RANGES = [
  'bytes=-0', 'bytes=5-2', 'bytes=0-0', 'bytes=-1', 'bytes=0-', 'bytes=0-1,2-3', 'bytes=0-1, 5-9', 'bytes=1-2,1-2,1-2', 'items=0-1', 'bytes 0-1',
  'bytes=', 'bytes=-', 'bytes=--1', 'bytes=1--2', 'bytes=0-99999999999999999999', 'bytes=99999999999999999999-', 'bytes=-99999999999999999999',
  'bytes=1e3-2e3', 'bytes=0x10-0x20', 'bytes=+1-2', 'BYTES=0-10', ' bytes = 3 - 7 ', 'bytes=0-1;x', 'bytes=\t1-2', 'bytes=' + '0-1,'.repeat(500) + '0-1',
  'bytes=1.5-2', 'bytes=-1.5', 'bytes=' + '9'.repeat(400) + '-', '',
];
const IF_VALUES = ['', '*', 'W/', '"', '""', '*, "x", ,,', 'W/"x"', 'Thu, 01 Jan 1970 00:00:00 GMT', 'garbage', '"a"'.repeat(300), ',,,,'];

interface Known { bytes: Buffer; type: string }

test(`fuzz: ${REQUESTS} hostile requests to check, PUT, GET/HEAD and tus (seed ${SEED}): no 5xx, problem codes, rows ↔ bytes`, { timeout: 240_000 }, async () => {
  const r: Rand = rng(SEED);
  const failures: string[] = [];
  const fail = (m: string): void => void failures.push(m);
  const statuses = new Map<string, number>();
  /** Files a request was told are stored (2xx), with their bytes. */
  const known = new Map<string, Known>();
  let realOk = 0;

  // Files a record refers to, visible to device a: GET and Range have something to serve.
  const visible: Array<{ sha: string; bytes: Buffer }> = [];
  const patient = randomUUID();
  for (const [i, size] of [0, 1, 10, 1000, 70_000, 300_000].entries()) {
    const bytes = randomBytes(size);
    const sha = sha256(bytes);
    const put = await send(s, 'PUT', `/v1/files/${sha}`, a.token, { headers: { 'content-type': 'application/pdf' }, body: bytes });
    assert.equal(put.status, 201, put.text);
    assert.equal((await pushDocument(s, a, i + 1, { sha, size }, patient)).status, 200);
    visible.push({ sha, bytes });
    known.set(sha, { bytes, type: 'application/pdf' });
  }

  /** `noBody`: a HEAD answer, whose problem document has headers only. */
  function judge(label: string, res: { status: number; headers?: Record<string, unknown>; type?: string; json: any; text?: string }, tus = false, noBody = false): void {
    const type = res.type ?? String(res.headers?.['content-type'] ?? '');
    const key = `${tus ? 'tus ' : ''}${res.status}${res.json?.code ? ` ${res.json.code}` : ''}`;
    statuses.set(key, (statuses.get(key) ?? 0) + 1);
    if (res.status >= 500) return fail(`${label} → ${res.status} ${String(res.text ?? JSON.stringify(res.json)).slice(0, 200)}`);
    if (res.status < 400) return;
    if (/\bat \S+:\d+|node_modules|Error:|\/tmp\//.test(String(res.text ?? ''))) fail(`${label} → internals in the answer: ${String(res.text).slice(0, 200)}`);
    if (/^application\/problem\+json/.test(type)) {
      if (noBody) return;
      if (!KNOWN_CODES.has(res.json?.code)) fail(`${label} → ${res.status} unknown code ${res.json?.code}`);
      else if (res.json.status !== res.status || typeof res.json.detail !== 'string') fail(`${label} → malformed problem ${JSON.stringify(res.json).slice(0, 200)}`);
    } else if (!((tus || noBody) && TUS_PLAIN.has(res.status))) {
      fail(`${label} → ${res.status} not a problem document (${type}): ${String(res.text).slice(0, 120)}`);
    }
  }

  /** A 2xx for a PUT or a finished tus upload: the bytes are stored. */
  function storedOk(sha: string, bytes: Buffer, type: string): void {
    if (sha256(bytes) !== sha) return fail(`a 2xx for ${sha} with bytes hashing to ${sha256(bytes)}`);
    if (!known.has(sha)) known.set(sha, { bytes, type });
  }

  async function realPut(label: string): Promise<void> {
    const bytes = bytesOf(r);
    const sha = sha256(bytes);
    const type = pick(r, [...TYPES, 'Application/PDF', 'image/jpeg; q=1']);
    const headers: Record<string, string> = { 'content-type': type, ...(r() < 0.2 ? { expect: '100-continue' } : {}) };
    if (r() < 0.15) {
      // The same new file from two devices at once: both succeed, exactly one stored it.
      const both = await Promise.all([a, c].map((d) => send(s, 'PUT', `/v1/files/${sha}`, d.token, { headers, body: bytes })));
      both.forEach((x) => judge(`${label} twin`, x));
      const got = both.map((x) => x.status).sort().join(',');
      // (An empty body is a file stored long ago.)
      if (got !== (known.has(sha) ? '200,200' : '200,201')) return fail(`${label} concurrent PUTs of one file (${bytes.length} B) → ${got}`);
      realOk++;
      return storedOk(sha, bytes, type);
    }
    const res = await send(s, 'PUT', `/v1/files/${sha}`, pick(r, [a, c]).token, { headers, body: bytes });
    judge(label, res);
    if (res.status !== 201 && res.status !== 200) return fail(`${label} real PUT → ${res.status} ${res.text.slice(0, 200)}`);
    realOk++;
    storedOk(sha, bytes, type);
  }

  async function create(d: Device, size: number, sha: string, type = 'application/pdf'): Promise<string | undefined> {
    const res = await send(s, 'POST', '/v1/uploads', d.token, { headers: { ...TUS, 'upload-length': String(size), 'upload-metadata': meta(sha, type) } });
    judge('create', res, true);
    return res.status === 201 ? String(res.headers.location) : undefined;
  }

  async function realTus(label: string): Promise<void> {
    // Sometimes a file the store already has: the upload still succeeds ('existing').
    const again = r() < 0.1 ? [...known.values()].find((k) => k.bytes.length > 0 && k.bytes.length <= MAX_BYTES) : undefined;
    const bytes = again?.bytes ?? bytesOf(r, 200_000, 1);
    const sha = sha256(bytes);
    const url = await create(a, bytes.length, sha);
    if (!url) return fail(`${label} real tus create failed`);
    const cuts = [...new Set([0, ...Array.from({ length: Math.floor(r() * 3) }, () => Math.floor(r() * bytes.length)), bytes.length])].sort((x, y) => x - y);
    let last: StreamReply | undefined;
    for (let k = 0; k + 1 < cuts.length; k++) {
      const part = bytes.subarray(cuts[k], cuts[k + 1]);
      const alg = r() < 0.5 ? pick(r, ['sha1', 'sha256']) : undefined;
      const sum: Record<string, string> = alg ? { 'upload-checksum': `${alg} ${digest(alg, part)}` } : {};
      last = await send(s, 'PATCH', url, a.token, { headers: { ...OCTETS, 'upload-offset': String(cuts[k]), ...sum }, body: part });
      judge(`${label} PATCH`, last, true);
      if (last.status !== 204) return fail(`${label} real PATCH @${cuts[k]} → ${last.status} ${last.text.slice(0, 200)}`);
    }
    const status = String(last?.headers['nexus-file-status']);
    if (!['created', 'existing'].includes(status) || (again && status !== 'existing')) return fail(`${label} last PATCH: Nexus-File-Status ${status}${again ? ' for a stored file' : ''}`);
    realOk++;
    storedOk(sha, bytes, 'application/pdf');
  }

  async function hostilePut(label: string): Promise<void> {
    const bytes = bytesOf(r, 20_000);
    const sha = sha256(bytes);
    const v = Math.floor(r() * 10);
    if (v === 0) {
      const res = await send(s, 'PUT', `/v1/files/${sha256(Buffer.from('other'))}`, a.token, { headers: { 'content-type': 'application/pdf' }, body: bytes });
      judge(`${label} wrong hash`, res);
      if (res.status !== 422) fail(`${label} wrong hash → ${res.status}`);
    } else if (v === 1) {
      const p = pick(r, [sha.toUpperCase(), sha.slice(1), sha + 'a', '..', '%2e%2e', `..%2F..%2F${sha}`, `${sha}/x`, `${sha}%00`, 'g'.repeat(64), `${sha}?x=1`, ` ${sha}`.replace(' ', '%20'), `${sha};x`, '']);
      const res = await send(s, 'PUT', `/v1/files/${p}`, a.token, { headers: { 'content-type': 'application/pdf' }, body: bytes });
      judge(`${label} path ${p}`, res);
      if (res.status < 300) p.startsWith(sha) ? storedOk(sha, bytes, 'application/pdf') : fail(`${label} PUT ${p} → ${res.status}`);
    } else if (v === 2) {
      const type = pick(r, [undefined, '', 'text/plain', 'application/pdf, image/jpeg', 'application/x-pdf', ';', 'image/png', '*/*']);
      const res = await send(s, 'PUT', `/v1/files/${sha}`, a.token, { headers: type === undefined ? {} : { 'content-type': type }, body: bytes });
      judge(`${label} type ${type}`, res);
      if (res.status < 300) type && TYPES.includes(type.split(';')[0]!.trim().toLowerCase()) ? storedOk(sha, bytes, type) : fail(`${label} type ${type} → ${res.status}`);
    } else if (v === 3) {
      // Content-Length larger than the body, which is then cut off: nothing may stay behind.
      await wire([...reqHead('PUT', `/v1/files/${sha}`, a, { 'content-type': 'application/pdf', 'content-length': String(bytes.length + 1 + Math.floor(r() * 1000)) }), bytes], { cut: true });
    } else if (v === 4) {
      // Content-Length smaller than the body: the server reads that many bytes (a hash mismatch), the rest is not a request.
      const res = parseWire(await wire([...reqHead('PUT', `/v1/files/${sha}`, a, { 'content-type': 'application/pdf', 'content-length': String(Math.max(0, bytes.length - 1 - Math.floor(r() * 100))) }), bytes]));
      if (res) judge(`${label} short CL`, res);
      if (res && res.status < 300 && bytes.length > 0) fail(`${label} short Content-Length → ${res.status}`);
    } else if (v === 5) {
      const cl = pick(r, ['abc', '-1', '1.5', '', ' ', '0x10', '1e3', '99999999999999999999', String(MAX_BYTES + 1), '10, 10', '10, 11']);
      const res = parseWire(await wire([...reqHead('PUT', `/v1/files/${sha}`, a, { 'content-type': 'application/pdf', 'content-length': cl }), bytes]));
      if (!res) fail(`${label} CL ${cl}: no answer`);
      else {
        judge(`${label} CL ${JSON.stringify(cl)}`, res);
        if (res.status < 300) fail(`${label} CL ${JSON.stringify(cl)} → ${res.status}`);
      }
    } else if (v === 6) {
      // No Content-Length (chunked): 411 before any byte is taken.
      const res = parseWire(await wire([...reqHead('PUT', `/v1/files/${sha}`, a, { 'content-type': 'application/pdf', 'transfer-encoding': 'chunked' }), `${bytes.length.toString(16)}\r\n`, bytes, '\r\n0\r\n\r\n']));
      if (res) judge(`${label} chunked`, res);
      if (res?.status !== 411 && !(bytes.length === 0 && res?.status === 400)) fail(`${label} chunked → ${res?.status}`);
    } else if (v === 7) {
      // Too many bytes for the limit, declared honestly.
      const res = await send(s, 'PUT', `/v1/files/${sha}`, a.token, { headers: { 'content-type': 'application/pdf' }, body: Buffer.alloc(MAX_BYTES + 1 + Math.floor(r() * 1000)) });
      judge(`${label} too large`, res);
      if (res.status !== 413) fail(`${label} too large → ${res.status}`);
    } else if (v === 8) {
      // The same file uploaded again with other bytes: refused, the stored bytes stay.
      const [sha0] = pick(r, [...known.entries()]);
      const res = await send(s, 'PUT', `/v1/files/${sha0}`, c.token, { headers: { 'content-type': 'application/pdf' }, body: bytes });
      judge(`${label} overwrite`, res);
      if (res.status !== 422 && sha0 !== sha) fail(`${label} overwrite ${sha0} → ${res.status}`);
    } else {
      // Odd headers on an otherwise good upload: the upload succeeds or is refused cleanly.
      const res = await send(s, 'PUT', `/v1/files/${sha}`, a.token, {
        headers: { 'content-type': 'application/pdf', [pick(r, ['nexus-protocol', 'expect', 'content-encoding', 'content-range', 'if-match'])]: pick(r, ['1', '2', '100-continue', 'gzip', 'bytes 0-1/2', '*', '']) },
        body: bytes,
      });
      judge(`${label} odd header`, res);
      if (res.status < 300) storedOk(sha, bytes, 'application/pdf');
    }
  }

  async function download(label: string): Promise<void> {
    const f = pick(r, visible);
    const headers: Record<string, string> = {};
    let range: string | undefined;
    if (r() < 0.8) {
      range = r() < 0.6 ? pick(r, RANGES) : `bytes=${r() < 0.2 ? '' : Math.floor(r() * 400_000)}-${r() < 0.2 ? '' : Math.floor(r() * 400_000)}`;
      headers.range = range;
    }
    const etag = `"${f.sha}"`;
    const ifRange = r() < 0.2 ? pick(r, [etag, ` ${etag} `, `W/${etag}`, ...IF_VALUES]) : undefined;
    if (ifRange !== undefined) headers['if-range'] = ifRange;
    const inm = r() < 0.15 ? pick(r, [etag, `W/${etag}`, `"x", ${etag}`, ...IF_VALUES]) : undefined;
    if (inm !== undefined) headers['if-none-match'] = inm;
    const method = r() < 0.25 ? 'HEAD' : 'GET';
    const res = await send(s, method, `/v1/files/${f.sha}`, a.token, { headers });
    judge(`${label} ${method} range=${range} if-range=${ifRange} inm=${inm}`, res, false, method === 'HEAD');
    const size = f.bytes.length;
    const inmHit = inm !== undefined && inm.split(',').some((t) => ['*', etag].includes(t.trim().replace(/^W\//, '')));
    const useRange = ifRange === undefined || ifRange.trim() === etag;
    // An empty Range is no range.
    const want = inmHit ? 304 : expectedRange(useRange && range ? range : undefined, size);
    const desc = `${label} ${method} size ${size} range=${JSON.stringify(range)} if-range=${ifRange} inm=${inm}`;
    const body = method === 'GET' ? res.body : undefined;
    if (want === 304) {
      if (res.status !== 304) fail(`${desc} → ${res.status}, want 304`);
    } else if (want === 'full') {
      if (res.status !== 200) fail(`${desc} → ${res.status}, want 200`);
      else if (body && !body.equals(f.bytes)) fail(`${desc}: wrong bytes`);
      else if (Number(res.headers['content-length']) !== size) fail(`${desc}: content-length ${res.headers['content-length']}`);
    } else if (want === 'unsatisfiable') {
      if (res.status !== 416 || res.headers['content-range'] !== `bytes */${size}`) fail(`${desc} → ${res.status} ${res.headers['content-range']}, want 416`);
    } else {
      const [from, to] = want;
      if (res.status !== 206 || res.headers['content-range'] !== `bytes ${from}-${to}/${size}`) fail(`${desc} → ${res.status} ${res.headers['content-range']}, want 206 ${from}-${to}`);
      else if (body && !body.equals(f.bytes.subarray(from, to + 1))) fail(`${desc}: wrong bytes`);
    }
  }

  async function hostileGet(label: string): Promise<void> {
    const f = pick(r, visible);
    const p = pick(r, [
      `/v1/files/${f.sha.toUpperCase()}`, `/v1/files/${f.sha.slice(1)}`, `/v1/files/${f.sha}0`, '/v1/files/..', '/v1/files/%2e%2e%2fcheck',
      `/v1/files/${f.sha}/..`, `/v1/files/../files/${f.sha}`, `/v1/files/${f.sha}%00`, '/v1/files/%ff', `/v1/files/${'0'.repeat(64)}`, '/v1/files/',
      `/v1/files/${[...known.keys()].find((k) => !visible.some((v) => v.sha === k)) ?? f.sha}`,
    ]);
    const d = r() < 0.3 ? c : a;
    const method = pick(r, ['GET', 'HEAD', 'DELETE', 'POST']);
    const res = await wire(reqHead(method, p, d, {}));
    const parsed = parseWire(res);
    if (!parsed) return fail(`${label} ${method} ${p}: no answer`);
    judge(`${label} ${method} ${p}`, { ...parsed, text: res }, false, method === 'HEAD');
    if (parsed.status === 200 && (d === c || !p.includes(f.sha))) fail(`${label} ${p} as ${d === c ? 'c' : 'a'} → 200`);
  }

  async function hostileCheck(label: string): Promise<void> {
    const body = r() < 0.5 ? hostileBody(r) : JSON.stringify({ sha256: pick(r, [[...known.keys()].slice(0, 3).map((x) => x.toUpperCase()), ['..'], [1], 'x', Array(1001).fill('a'.repeat(64)), [null], [...known.keys()]]) });
    const res = await request(s, s.sync.url, 'POST', '/v1/files/check', { headers: { ...auth(a.token), 'content-type': 'application/json' }, body });
    judge(`${label} check ${body.slice(0, 80)}`, res);
  }

  async function hostileTus(label: string): Promise<void> {
    const bytes = bytesOf(r, 5000);
    const sha = sha256(bytes);
    const v = Math.floor(r() * 8);
    if (v === 0) {
      // Creation with bad headers.
      const headers: Record<string, string> = { ...TUS, 'upload-length': String(bytes.length), 'upload-metadata': meta(sha, 'application/pdf') };
      const which = pick(r, ['upload-length', 'upload-metadata', 'tus-resumable', 'upload-checksum', 'upload-defer-length', 'upload-concat']);
      headers[which] = pick(r, {
        'upload-length': ['-1', '1.5', 'abc', '', String(MAX_BYTES + 1), '99999999999999999999', '1e3', '0x10', '10, 10'],
        'upload-metadata': ['sha256', 'sha256 !!!', `sha256 ${b64(sha)},sha256 ${b64(sha)},content_type ${b64('application/pdf')}`, `sha256 ${b64(sha.toUpperCase())},content_type ${b64('application/pdf')}`, `sha256 ${b64(sha)},content_type ${b64('text/html')}`, ',,,', 'a '.repeat(2000), `content_type ${b64('application/pdf')}`, `sha256 ${b64(sha)}, content_type ${b64('application/pdf')}`, `sha256 ${b64('../../etc/passwd')},content_type ${b64('application/pdf')}`],
        'tus-resumable': ['0.2.2', '', '1.0.0, 1.0.0', '2.0.0', '1.0'],
        'upload-checksum': ['md5 AAAA', 'sha1', 'sha256 !!!', 'sha1 ' + b64('short'), ''],
        'upload-defer-length': ['1', '0', 'x'],
        'upload-concat': ['partial', 'final;/v1/uploads/x'],
      }[which]!);
      const res = await send(s, 'POST', '/v1/uploads', a.token, { headers });
      judge(`${label} create ${which}=${JSON.stringify(headers[which]).slice(0, 60)}`, res, true);
      return;
    }
    const url = await create(a, bytes.length, sha);
    if (!url) return fail(`${label} create failed`);
    if (bytes.length === 0) return;
    const half = Math.floor(bytes.length / 2);
    if (v === 1) {
      // PATCH at wrong offsets, with bad Upload-Offset values, or past the end.
      const off = pick(r, ['1', String(bytes.length), '-1', 'abc', '', '1.5', '99999999999999999999', String(half + 1), '0, 0']);
      const body = pick(r, [bytes.subarray(0, half), bytes, Buffer.concat([bytes, Buffer.from('extra')])]);
      const res = await send(s, 'PATCH', url, a.token, { headers: { ...OCTETS, 'upload-offset': off }, body });
      judge(`${label} PATCH offset ${off}`, res, true);
    } else if (v === 2) {
      // Bad checksums: wrong digest, unknown algorithm, malformed.
      const sum = pick(r, [`sha1 ${digest('sha1', Buffer.from('x'))}`, `sha256 ${digest('sha1', bytes)}`, `md5 ${digest('md5', bytes)}`, 'sha256', 'sha256 ====', `SHA1 ${digest('sha1', bytes)}`, `sha1  ${digest('sha1', bytes)}`]);
      const res = await send(s, 'PATCH', url, a.token, { headers: { ...OCTETS, 'upload-offset': '0', 'upload-checksum': sum }, body: bytes });
      judge(`${label} checksum ${sum}`, res, true);
      if (res.status === 204) storedOk(sha, bytes, 'application/pdf');
    } else if (v === 3) {
      // Concurrent PATCHes of one upload, from the same offset.
      const all = await Promise.all(Array.from({ length: 2 + Math.floor(r() * 2) }, () => send(s, 'PATCH', url, a.token, { headers: { ...OCTETS, 'upload-offset': '0' }, body: bytes })));
      for (const res of all) judge(`${label} concurrent PATCH`, res, true);
      if (all.some((x) => x.status === 204 && x.headers['nexus-file-status'])) storedOk(sha, bytes, 'application/pdf');
    } else if (v === 4) {
      // Wrong PATCH content type or tus version; another device's upload; odd methods.
      const res = await send(s, 'PATCH', url, pick(r, [a, c]).token, {
        headers: { ...TUS, 'upload-offset': '0', ...pick<Record<string, string>>(r, [{ 'content-type': 'application/pdf' }, { 'content-type': 'application/offset+octet-stream', 'tus-resumable': '0.2.2' }, {}, { 'content-type': '' }]) },
        body: bytes,
      });
      judge(`${label} PATCH headers`, res, true);
    } else if (v === 5) {
      // Half, then the body cut off mid-PATCH; then HEAD, DELETE, or a resume.
      await wire([...reqHead('PATCH', new URL(url).pathname, a, { ...OCTETS, 'upload-offset': '0', 'content-length': String(bytes.length) }), bytes.subarray(0, half)], { cut: true });
      // The server keeps what arrived; wait until the offset settles.
      let h = await send(s, 'HEAD', url, a.token, { headers: TUS });
      for (let k = 0; k < 30; k++) {
        await sleep(50);
        const again = await send(s, 'HEAD', url, a.token, { headers: TUS });
        const same = again.headers['upload-offset'] === h.headers['upload-offset'];
        h = again;
        if (same) break;
      }
      judge(`${label} HEAD after cut`, h, true, true);
      const at = Number(h.headers['upload-offset']);
      if (h.status === 200 && at >= 0 && at < bytes.length && r() < 0.7) {
        const res = await send(s, 'PATCH', url, a.token, { headers: { ...OCTETS, 'upload-offset': String(at) }, body: bytes.subarray(at) });
        judge(`${label} resume @${at}`, res, true);
        if (res.status === 204) storedOk(sha, bytes, 'application/pdf');
        else if (res.status !== 409) fail(`${label} resume @${at} → ${res.status} ${res.text.slice(0, 100)}`);
      } else if (h.status === 200) {
        judge(`${label} DELETE`, await send(s, 'DELETE', url, a.token, { headers: TUS }), true);
      }
    } else if (v === 6) {
      // Lying Content-Length on a PATCH: shorter than the body.
      const res = parseWire(await wire([...reqHead('PATCH', new URL(url).pathname, a, { ...OCTETS, 'upload-offset': '0', 'content-length': String(half) }), bytes]));
      if (res) judge(`${label} PATCH short CL`, res, true);
    } else {
      // Path tricks on upload ids.
      const id = url.split('/').pop()!;
      const p = pick(r, [`/v1/uploads/${id.toUpperCase()}`, `/v1/uploads/${id}/..`, `/v1/uploads/../uploads/${id}`, `/v1/uploads/${id}.json`, `/v1/uploads/..%2f${id}`, '/v1/uploads/%ff', `/v1/uploads/${id}%00`, `/v1/uploads/${'0'.repeat(32)}`]);
      const method = pick(r, ['HEAD', 'PATCH', 'DELETE', 'GET']);
      const res = parseWire(await wire(reqHead(method, p, a, { ...OCTETS, 'upload-offset': '0', 'content-length': '0' })));
      if (res) judge(`${label} ${method} ${p}`, res, true, method === 'HEAD');
    }
  }

  const t0 = Date.now();
  let next = 0;
  await Promise.all(Array.from({ length: 6 }, async () => {
    while (next < REQUESTS) {
      const i = next++;
      const kind = r();
      const label = `#${i}`;
      const run = kind < 0.1 ? realPut : kind < 0.16 ? realTus : kind < 0.38 ? hostilePut : kind < 0.63 ? download : kind < 0.7 ? hostileGet : kind < 0.75 ? hostileCheck : hostileTus;
      await run(label).catch((err: unknown) => fail(`${label} ${run.name}: ${(err as Error).stack?.slice(0, 300)}`));
    }
  }));
  assert.deepEqual(failures.slice(0, 20), [], `${failures.length} failures`);

  // Requests cut off may still be finishing on the server: wait until PUT temp files are gone.
  const tmpPuts = () => (existsSync(path.join(dir, 'tmp')) ? readdirSync(path.join(dir, 'tmp')).filter((e) => e !== 'tus') : []);
  for (let i = 0; i < 100 && tmpPuts().length > 0; i++) await sleep(100);
  assert.deepEqual(tmpPuts(), [], 'no PUT temp file is left behind');

  // Every row has its bytes, of the right size and hash; every known upload has its row.
  const rows = await s.t.query<{ sha256: string; size_bytes: string; content_type: string }>('admin', 'SELECT sha256, size_bytes, content_type FROM nexus.files');
  for (const row of rows) assert.ok(TYPES.includes(row.content_type), `${row.sha256}: content type ${row.content_type}`);
  const bySha = new Map(rows.map((x) => [x.sha256, Number(x.size_bytes)]));
  for (const [sha, size] of bySha) {
    assert.ok(existsSync(stored(sha)), `row ${sha} without bytes`);
    const bytes = readFileSync(stored(sha));
    assert.equal(bytes.length, size, `${sha} size`);
    assert.equal(sha256(bytes), sha, `${sha} hash`);
  }
  for (const [sha, k] of known) assert.equal(bySha.get(sha), k.bytes.length, `a 2xx for ${sha} but no row`);
  // Nothing stored without a row; under tmp/tus only uploads still in progress.
  const walk = (p: string): string[] => readdirSync(p, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(path.join(p, e.name)) : [path.join(p, e.name)]));
  for (const f of walk(dir)) {
    const rel = path.relative(dir, f);
    if (rel.startsWith(`tmp${path.sep}tus${path.sep}`)) {
      const name = path.basename(f);
      if (name.endsWith('.json')) continue;
      assert.match(name, /^[0-9a-f]{32}$/, rel);
      const rec = JSON.parse(readFileSync(`${f}.json`, 'utf8'));
      assert.ok(statSync(f).size < rec.size, `${rel}: a complete upload left unfiled (${statSync(f).size} of ${rec.size})`);
      continue;
    }
    const m = /^([0-9a-f]{2})\/([0-9a-f]{2})\/([0-9a-f]{64})$/.exec(rel.split(path.sep).join('/'));
    assert.ok(m && m[3]!.startsWith(m[1]! + m[2]!), `stray file ${rel}`);
    assert.ok(bySha.has(m[3]!), `stored file ${rel} without a row`);
  }
  // Still serving afterwards.
  const f = randomBytes(1000);
  assert.equal((await send(s, 'PUT', `/v1/files/${sha256(f)}`, a.token, { headers: { 'content-type': 'image/jpeg' }, body: f })).status, 201);
  assert.ok(realOk > REQUESTS * 0.1, `real uploads ${realOk}`);
  process.stderr.write(`files fuzz: ${REQUESTS} requests in ${Date.now() - t0} ms; ${realOk} real uploads, ${bySha.size} rows; ${JSON.stringify(Object.fromEntries([...statuses].sort()))}\n`);
});

test('regressions found by the fuzzer: Upload-Concat, an odd Expect, a bad Content-Length and an undecodable URL get problem details', async () => {
  const f = randomBytes(100);
  const sha = sha256(f);
  // Was 501 (a server error) from @tus/server, in plain text.
  const concat = await send(s, 'POST', '/v1/uploads', a.token, { headers: { ...TUS, 'upload-length': '100', 'upload-metadata': meta(sha, 'application/pdf'), 'upload-concat': 'partial' } });
  assert.equal(concat.status, 400);
  assert.equal(concat.json.code, 'invalid_request');
  assert.match(String(concat.headers['content-type']), /^application\/problem\+json/);
  // Was a bare 417 from Node.
  const expect = await send(s, 'PUT', `/v1/files/${sha}`, a.token, { headers: { 'content-type': 'application/pdf', expect: 'gzip' }, body: f });
  assert.equal(expect.status, 417);
  assert.equal(expect.json.code, 'invalid_request');
  // Were Fastify's own JSON ("Client Error", FST_ERR_BAD_URL).
  for (const [method, p, headers] of [['PUT', `/v1/files/${sha}`, { 'content-type': 'application/pdf', 'content-length': 'abc' }], ['GET', '/v1/files/%ff', {}]] as const) {
    const res = parseWire(await wire(reqHead(method, p, a, headers)));
    assert.equal(res?.status, 400, `${method} ${p}`);
    assert.match(String(res?.type), /^application\/problem\+json/);
    assert.equal(res?.json.code, 'invalid_request');
  }
  assert.deepEqual(await s.t.query('admin', 'SELECT 1 FROM nexus.files WHERE sha256 = $1', [sha]), []);
});
