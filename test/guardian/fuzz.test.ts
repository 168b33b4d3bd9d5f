// Seeded hostile requests to Guardian's enrol and token routes, interleaved
// with real enrolments and token requests that must keep working. Asserts:
// never a 5xx; every error is a problem document with a known code; the
// registry stays parseable and holds exactly the devices that got a 201; a
// code is spent only by a successful enrolment (every code that never got a
// 201 still enrols at the end).

import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import https from 'node:https';
import tls from 'node:tls';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { X509Certificate } from 'node:crypto';
import { addDevice, readRegistry, registryPath, revokeDevice } from '../../src/guardian/index.ts';
import { caCertPath } from '../../src/tls/index.ts';
import { hostileBody, nastyValue, rng, type Rand } from '../sync/fuzz-gen.ts';
import { startTestGuardian, verifyWithServedJwks } from './helpers.ts';
import { sendHttps, type Reply } from '../helpers/https.ts';

const SEED = 20261127;
const NASTY_STRINGS = [
  "'; DROP TABLE x; --", '$1', '\\', '%00', '\u0000', '\ud800', '\udc00x', '../../etc/passwd', '<script>alert(1)</script>',
  '${jndi:ldap://x}', '__proto__', 'constructor', '\u202e', '🙂'.repeat(50), '', ' ', 'NaN', 'null', '1e309', 'x'.repeat(200),
];
const REQUESTS = 3000;
const DEVICES = 60;
/** Devices from this index on get only spoilt enrolments during the run: their codes must survive them. */
const RESERVED_FROM = 45;

const g = await startTestGuardian({ NEXUS_GUARDIAN_RATE_LIMIT: '1000000', NEXUS_LOG_LEVEL: 'fatal' });
const ca = readFileSync(caCertPath(g.home));
const agent = new https.Agent({ ca, keepAlive: true, maxSockets: 16 });
const { port } = g.server;
after(() => agent.destroy());

/** Codes Guardian (src/guardian, src/core/http.ts) may answer a device with. */
const KNOWN_CODES = new Set([
  'invalid_request', 'invalid_enrollment_code', 'invalid_csr', 'invalid_client', 'protocol_unsupported',
  'request_too_large', 'unsupported_content_type', 'not_found', 'request_timeout',
]);

/** HTTPS with the path sent exactly as given (no URL normalisation: `..` reaches the server). */
function raw(method: string, rawPath: string, headers: Record<string, string | string[]>, body?: string | Buffer, fresh = false): Promise<Reply> {
  // Broken framing (odd Transfer-Encoding) gets a connection of its own, so it cannot poison the shared ones.
  return sendHttps({ host: '127.0.0.1', port, path: rawPath }, { method, headers, ...(fresh ? { agent: false, ca } : { agent }) }, body).catch((err: Error) => {
    throw new Error(`${method} ${rawPath} ${JSON.stringify(headers).slice(0, 200)} body ${String(body ?? '').slice(0, 80)}: ${err.message}`);
  });
}

const jsonHeaders = (body: string): Record<string, string> => ({ 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)) });

function openssl(args: string[], out: string): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'fuzz-csr-'));
  try {
    execFileSync('openssl', [...args.map((a) => a.replace('$D', dir))], { stdio: 'ignore' });
    return readFileSync(path.join(dir, out), 'utf8');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const ecCsr = openssl(['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-subj', '/CN=x', '-keyout', '$D/k.pem', '-out', '$D/r.pem'], 'r.pem');
const rsaCsr = openssl(['req', '-new', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=x; DROP TABLE y', '-keyout', '$D/k.pem', '-out', '$D/r.pem'], 'r.pem');
const ecKey = openssl(['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', '$D/k.pem'], 'k.pem');

function pemOf(label: string, der: Buffer): string {
  return `-----BEGIN ${label}-----\n${der.toString('base64').replace(/.{64}/g, '$&\n')}\n-----END ${label}-----\n`;
}
const derOf = (pem: string): Buffer => Buffer.from(pem.replace(/-----[A-Z ]+-----/g, '').replace(/\s+/g, ''), 'base64');
const ecDer = derOf(ecCsr);
const tampered = Buffer.from(ecDer);
tampered[tampered.length - 1] = tampered[tampered.length - 1]! ^ 0x55;

/** CSR fields that must be refused (invalid_csr, or invalid_request by type/size) and never spend the code. */
const BAD_CSRS: unknown[] = [
  'not a csr', '', ' ', '-----BEGIN CERTIFICATE REQUEST-----\n-----END CERTIFICATE REQUEST-----\n',
  '-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n-----END CERTIFICATE REQUEST-----\n',
  pemOf('CERTIFICATE REQUEST', tampered), // the signature does not verify
  pemOf('CERTIFICATE REQUEST', ecDer.subarray(0, ecDer.length - 20)), // cut short
  pemOf('CERTIFICATE REQUEST', Buffer.from(Array.from({ length: 300 }, (_, i) => (i * 37) & 255))),
  readFileSync(caCertPath(g.home), 'utf8'), // valid PEM of the wrong thing: a certificate
  ecKey, // a private key
  ecCsr.replace(/[A-Za-z0-9+/]{10}\n/, '!!!!!!!!!!\n'),
  ecCsr.slice(0, 200), 'x'.repeat(64 * 1024 + 1), '\u0000'.repeat(100), ...NASTY_STRINGS.slice(0, 10),
  7, null, true, [ecCsr], { pem: ecCsr },
];
const GOOD_CSRS = [ecCsr, rsaCsr, ecCsr + '\n\n', ecCsr.replace(/\n/g, '\r\n')];
/**
 * The right request in the wrong wrapping: @peculiar/x509 reads any PEM label
 * and bare base64 too. Harmless (the signature and key are still checked),
 * so either a certificate or invalid_csr is a fine answer.
 */
const LENIENT_CSRS = [ecCsr.replace(/CERTIFICATE REQUEST/g, 'CERTIFICATE'), ecDer.toString('base64'), ecDer.toString('hex')];

const PATHS = [
  '/guardian/v1/enroll/', '/guardian/v1//enroll', '/guardian/v1/../v1/enroll', '/guardian/v1/%2e%2e/enroll', '/guardian/v1/enroll%00',
  '/guardian/v1/ENROLL', '/guardian/v2/enroll', '/guardian/v1/token;x=1', '/guardian/v1/jwks.json/../token', '/guardian/v1/%ff%fe',
  '/guardian/v1/token/..%2f..%2fjwks.json', '/guardian//v1/token', '/guardian/v1/enroll?__proto__[x]=1', '/guardian/v1/token#frag',
  '/guardian/v1/revocations?x=' + 'a'.repeat(2000), '/guardian/v1/health/', '/../../etc/passwd', '*', '/guardian/v1/enroll\\..\\token',
];
const CONTENT_TYPES: Array<string | string[] | undefined> = [
  undefined, '', 'text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/jsonx',
  'APPLICATION/JSON', 'application/json; charset=latin1', 'application/json; charset=utf-16', 'application/problem+json',
  ['application/json', 'text/plain'], ['application/json', 'application/json'], 'application/json, text/plain', ';', 'application/',
];
const PROTOCOL_VALUES: Array<string | string[]> = ['2', '0', '1.0', '1.5', '', ' ', '01', ' 1 ', '1, 1', '1,2', 'abc', '-1', '0x1', '1e0', 'NaN', '9'.repeat(300), ['1', '1'], ['1', '2'], '\t1'];

function pick<T>(r: Rand, xs: readonly T[]): T {
  return xs[Math.floor(r() * xs.length)]!;
}

interface Dev { name: string; code: string; deviceId: string; enrolled?: { secret: string }; wins: number; revoked?: boolean; reserved: boolean }

test(`fuzz: ${REQUESTS} hostile requests to enrol and token (seed ${SEED}): no 5xx, known problem codes, codes spent only by a 201`, { timeout: 180_000 }, async () => {
  const r: Rand = rng(SEED);
  const devs: Dev[] = [];
  for (let i = 0; i < DEVICES; i++) {
    const { device, enrollmentCode } = await addDevice(g.home, { name: `fuzz-${i}`, enrollmentTtlHours: 24 });
    devs.push({ name: device.name, code: enrollmentCode, deviceId: device.device_id, wins: 0, reserved: i >= RESERVED_FROM });
  }
  const failures: string[] = [];
  const statuses = new Map<string, number>();
  let legitEnrols = 0;
  let legitTokens = 0;

  const fail = (msg: string): void => void failures.push(msg);

  /** Checks the answer's shape; returns the problem code (if any). */
  function judge(label: string, res: Reply): string | undefined {
    const key = `${res.status}${res.json?.code ? ` ${res.json.code}` : ''}`;
    statuses.set(key, (statuses.get(key) ?? 0) + 1);
    if (res.status >= 500) fail(`${label} → ${res.status} ${res.text.slice(0, 200)}`);
    if (res.status >= 400) {
      if (!/^application\/problem\+json/.test(String(res.headers['content-type']))) fail(`${label} → ${res.status} not a problem document: ${res.headers['content-type']} ${res.text.slice(0, 120)}`);
      else if (!KNOWN_CODES.has(res.json?.code)) fail(`${label} → ${res.status} unknown code ${res.json?.code}`);
      else if (res.json.status !== res.status || typeof res.json.detail !== 'string' || typeof res.json.type !== 'string') fail(`${label} → malformed problem ${res.text.slice(0, 200)}`);
      else if (/\bat \S+:\d+|node_modules|Error:|\/tmp\//.test(res.text)) fail(`${label} → internals in the answer: ${res.text.slice(0, 200)}`);
    }
    return res.json?.code;
  }

  /** An enrolment answer for `d`'s code: a 201 enrols it (and must be its only 201). */
  function enrolled(label: string, d: Dev, res: Reply): void {
    if (res.status !== 201) return;
    d.wins++;
    if (d.wins > 1) fail(`${label}: a second 201 for ${d.name}'s code`);
    if (res.json?.device_id !== d.deviceId || typeof res.json?.device_secret !== 'string') fail(`${label}: 201 of the wrong shape ${res.text.slice(0, 200)}`);
    d.enrolled = { secret: res.json.device_secret };
  }

  async function one(i: number): Promise<void> {
    const kind = r();
    const label = `#${i}`;
    const pending = devs.filter((d) => !d.enrolled);
    const active = devs.filter((d) => d.enrolled);
    const enrollable = pending.filter((d) => !d.reserved);
    if (kind < 0.04 && enrollable.length > 0) {
      // A real enrolment, sometimes with a good CSR or a nasty (but valid) device name.
      const d = pick(r, enrollable);
      const body: Record<string, unknown> = { enrollment_code: d.code };
      const lenient = r() < 0.1;
      if (lenient) body.csr = pick(r, LENIENT_CSRS);
      else if (r() < 0.4) body.csr = pick(r, GOOD_CSRS);
      if (r() < 0.5) body.device_name = pick(r, NASTY_STRINGS);
      const text = JSON.stringify(body);
      const res = await raw('POST', '/guardian/v1/enroll', jsonHeaders(text), text);
      judge(`${label} enrol ${d.name}`, res);
      // A concurrent request with the same code may have won; anything else must succeed.
      if (res.status !== 201 && !(res.json?.code === 'invalid_enrollment_code' && d.enrolled) && !(lenient && res.json?.code === 'invalid_csr')) fail(`${label} real enrolment of ${d.name} → ${res.status} ${res.text.slice(0, 200)}`);
      enrolled(label, d, res);
      if (res.status === 201) {
        legitEnrols++;
        if (body.csr !== undefined) {
          const cert = new X509Certificate(res.json.client_certificate);
          if (cert.subject !== `CN=${d.deviceId}`) fail(`${label}: certificate subject ${cert.subject}`);
        } else if (res.json.client_certificate !== undefined) fail(`${label}: a certificate without a CSR`);
      }
    } else if (kind < 0.09 && active.length > 0) {
      // A real token request (a revoked device's must fail).
      const d = pick(r, active);
      const revokedBefore = d.revoked;
      const text = JSON.stringify({ device_id: d.deviceId, device_secret: d.enrolled!.secret, extra: nastyValue(r) });
      const res = await raw('POST', '/guardian/v1/token', { ...jsonHeaders(text), 'nexus-protocol': '1' }, text);
      judge(`${label} token ${d.name}`, res);
      if (res.status === 413) return; // the extra member may be larger than the body limit
      // Fastify refuses prototype-poisoning keys anywhere in the body (onProtoPoisoning: 'error').
      if (res.status === 400 && /"(__proto__|constructor)"/.test(text)) return;
      if (revokedBefore && res.json?.code !== 'invalid_client') fail(`${label} token for revoked ${d.name} → ${res.status}`);
      // Revoked while the request was on its way: either answer is right.
      if (d.revoked) return;
      if (res.status !== 200) fail(`${label} real token for ${d.name} → ${res.status} ${res.text.slice(0, 200)}`);
      else {
        legitTokens++;
        if (r() < 0.3) {
          const { payload } = await verifyWithServedJwks(g, res.json.access_token);
          if (payload.sub !== d.deviceId) fail(`${label}: token for ${String(payload.sub)}`);
        }
      }
    } else if (kind < 0.2 && pending.length > 0) {
      // A real pending code with something wrong about the request: it must fail and not spend the code.
      const d = pick(r, pending);
      const variant = Math.floor(r() * 6);
      let headers: Record<string, string | string[]>;
      let body: string;
      const obj: Record<string, unknown> = { enrollment_code: d.code };
      if (variant <= 1) obj.csr = pick(r, BAD_CSRS);
      else if (variant === 2) obj.device_name = pick(r, [7, null, [], {}, 'x'.repeat(201), false]);
      else if (variant === 3) obj.enrollment_code = pick(r, [[d.code], { code: d.code }, d.code + 'X', d.code.slice(1), d.code + '\u0000', `${d.code}${'0'.repeat(200)}`]);
      else if (variant === 4) obj.pad = 'x'.repeat(130 * 1024);
      body = JSON.stringify(obj);
      headers = jsonHeaders(body);
      if (variant === 5) {
        // Right body, wrong wrapper: content type, protocol version, or the JSON cut short.
        const w = Math.floor(r() * 3);
        if (w === 0) headers = { ...headers, 'content-type': pick(r, ['text/plain', 'application/x-www-form-urlencoded', 'application/jsonx', 'multipart/form-data; boundary=x']) };
        else if (w === 1) headers = { ...headers, 'nexus-protocol': pick(r, PROTOCOL_VALUES.filter((v) => !['01', ' 1 ', '\t1'].includes(String(v)))) };
        else {
          body = body.slice(0, body.length - 1 - Math.floor(r() * 10));
          headers = jsonHeaders(body);
        }
      }
      const res = await raw('POST', pick(r, ['/guardian/v1/enroll', '/guardian/v1/enroll?x=1']), headers, body);
      const code = judge(`${label} spoilt enrol v${variant} ${d.name}`, res);
      if (res.status === 201) fail(`${label} spoilt enrolment (variant ${variant}) of ${d.name} succeeded: ${body.slice(0, 200)}`);
      if (variant <= 1 && typeof obj.csr === 'string' && obj.csr.length > 0 && obj.csr.length <= 64 * 1024 && code !== 'invalid_csr' && !d.enrolled) {
        fail(`${label} bad CSR → ${res.status} ${code}, expected invalid_csr: ${String(obj.csr).slice(0, 60)}`);
      }
      enrolled(label, d, res);
    } else if (kind < 0.3) {
      // Token requests that must be refused: wrong secrets, unknown or pending devices, wrong types.
      const d = pick(r, devs);
      const obj = pick(r, [
        () => ({ device_id: d.deviceId, device_secret: d.enrolled ? d.enrolled.secret + 'x' : 'guess' }),
        () => ({ device_id: d.deviceId.toUpperCase(), device_secret: d.enrolled?.secret ?? 'guess' }),
        () => ({ device_id: pick(r, NASTY_STRINGS) || 'x', device_secret: d.enrolled?.secret ?? 'x' }),
        () => ({ device_id: d.deviceId, device_secret: nastyValue(r) }),
        () => ({ device_id: nastyValue(r), device_secret: d.enrolled?.secret }),
        () => ({ device_id: [d.deviceId], device_secret: d.enrolled?.secret }),
        () => ({ device_id: d.deviceId }),
        () => ({ device_id: d.deviceId, device_secret: 'x'.repeat(1025) }),
      ])();
      const body = JSON.stringify(obj) ?? 'null';
      const res = await raw('POST', '/guardian/v1/token', jsonHeaders(body), body);
      judge(`${label} bad token`, res);
      if (res.status < 400) fail(`${label} bad token request got ${res.status}: ${body.slice(0, 200)}`);
    } else if (kind < 0.62) {
      // Hostile bodies and members to either route, no real code inside.
      const route = pick(r, ['/guardian/v1/enroll', '/guardian/v1/token']);
      const body = r() < 0.5
        ? hostileBody(r)
        : JSON.stringify({ [pick(r, ['enrollment_code', 'device_id', 'device_secret'])]: nastyValue(r), [pick(r, ['csr', 'device_name', 'device_secret', '__proto__'])]: nastyValue(r) });
      const res = await raw('POST', route, jsonHeaders(body), body);
      judge(`${label} hostile ${route} ${body.slice(0, 80)}`, res);
      if (res.status < 400) fail(`${label} hostile body accepted: ${res.status} ${body.slice(0, 200)}`);
    } else if (kind < 0.78) {
      // Odd headers: content types, the protocol header, lengths.
      const route = pick(r, ['/guardian/v1/enroll', '/guardian/v1/token', '/guardian/v1/health', '/guardian/v1/jwks.json']);
      const body = route.endsWith('enroll') ? '{"enrollment_code":"AAAA-BBBB"}' : '{"device_id":"x","device_secret":"y"}';
      const headers: Record<string, string | string[]> = { 'content-length': String(body.length) };
      const ct = pick(r, CONTENT_TYPES);
      if (ct !== undefined) headers['content-type'] = ct;
      if (r() < 0.5) headers['nexus-protocol'] = pick(r, PROTOCOL_VALUES);
      const method = route.includes('health') || route.includes('jwks') ? pick(r, ['GET', 'POST', 'HEAD']) : pick(r, ['POST', 'POST', 'PUT', 'GET']);
      // Not on HEAD: a framing error's 400 has a body, which a HEAD client cannot read.
      if (r() < 0.1 && method !== 'HEAD') headers['transfer-encoding'] = pick(r, ['chunked', 'gzip', 'identity']);
      if (r() < 0.1) headers['content-encoding'] = pick(r, ['gzip', 'br', 'x-unknown']);
      const res = await raw(method, route, headers, method === 'GET' || method === 'HEAD' ? undefined : body, true);
      if (method === 'HEAD') {
        if (res.status >= 500) fail(`${label} HEAD ${route} → ${res.status}`);
      } else judge(`${label} headers ${method} ${route} ${JSON.stringify(headers)}`, res);
    } else if (kind < 0.9) {
      // Path tricks.
      const p = pick(r, PATHS);
      const method = pick(r, ['GET', 'POST', 'DELETE', 'OPTIONS', 'PATCH']);
      const body = method === 'GET' ? undefined : hostileBody(r);
      const res = await raw(method, p, body === undefined ? {} : jsonHeaders(body), body, true);
      judge(`${label} ${method} ${p}`, res);
    } else {
      // Huge bodies, declared or real.
      const route = pick(r, ['/guardian/v1/enroll', '/guardian/v1/token']);
      const body = pick(r, [
        () => JSON.stringify({ enrollment_code: 'A'.repeat(200 * 1024) }),
        () => '[' .repeat(100_000),
        () => JSON.stringify({ device_id: 'x', device_secret: 'y', pad: Array.from({ length: 30_000 }, (_, k) => k) }),
        () => '{"a":' + '"x",'.repeat(40_000) + '}',
      ])();
      const res = await raw('POST', route, jsonHeaders(body), body);
      judge(`${label} huge ${route}`, res);
      if (res.status !== 413 && res.status !== 400) fail(`${label} huge body (${body.length} B) → ${res.status}`);
    }
    if (i % 500 === 250) {
      // The administrator at work meanwhile (same lock, other writer): a new device, a revocation.
      const n = devs.length;
      const { device, enrollmentCode } = await addDevice(g.home, { name: `fuzz-${n}`, enrollmentTtlHours: 24 });
      devs.push({ name: device.name, code: enrollmentCode, deviceId: device.device_id, wins: 0, reserved: false });
      const victim = devs.find((d) => d.enrolled && !d.revoked);
      if (victim) {
        await revokeDevice(g.home, victim.deviceId);
        victim.revoked = true;
      }
    }
    if (i % 100 === 0) {
      // The registry is replaced atomically: whenever we look, it is whole.
      try {
        JSON.parse(readFileSync(registryPath(g.home), 'utf8'));
      } catch (err) {
        fail(`${label}: registry not parseable mid-run: ${(err as Error).message}`);
      }
    }
  }

  const t0 = Date.now();
  let next = 0;
  await Promise.all(Array.from({ length: 8 }, async () => {
    while (next < REQUESTS) {
      const i = next++;
      await one(i).catch((err: unknown) => fail(`#${i}: transport error ${(err as Error).message}`));
    }
  }));
  assert.deepEqual(failures.slice(0, 20), [], `${failures.length} failures`);

  // The registry holds exactly the devices that got a 201, active; the rest pending.
  const registry = readRegistry(g.home);
  assert.equal(registry.devices.length, devs.length);
  assert.ok(devs.length > DEVICES);
  for (const d of devs) {
    const rec = registry.devices.find((x) => x.device_id === d.deviceId)!;
    assert.equal(rec.status, d.revoked ? 'revoked' : d.enrolled ? 'active' : 'pending', d.name);
    assert.equal(rec.enrollment.used, Boolean(d.enrolled), d.name);
  }
  // Every code that never got a 201 was not spent: it enrols now.
  const unspent = devs.filter((d) => !d.enrolled);
  assert.ok(unspent.length >= devs.filter((d) => d.reserved).length, `unspent ${unspent.length}`);
  for (const d of unspent) {
    const body = JSON.stringify({ enrollment_code: d.code });
    const res = await raw('POST', '/guardian/v1/enroll', jsonHeaders(body), body);
    assert.equal(res.status, 201, `${d.name}: ${res.text}`);
  }
  assert.ok(readRegistry(g.home).devices.every((x) => x.status === (devs.find((d) => d.deviceId === x.device_id)!.revoked ? 'revoked' : 'active')));
  assert.ok(legitEnrols > 5 && legitTokens > 20, `real enrolments ${legitEnrols}, tokens ${legitTokens}`);
  process.stderr.write(`guardian fuzz: ${REQUESTS} requests in ${Date.now() - t0} ms; ${legitEnrols} real enrolments, ${legitTokens} tokens, ${unspent.length} codes enrolled afterwards; ${JSON.stringify(Object.fromEntries([...statuses].sort()))}\n`);
});

/** Bytes written to a fresh TLS connection exactly as given; resolves with everything read until the server closes. */
function wire(bytes: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const sock = tls.connect({ host: '127.0.0.1', port, ca });
    let out = '';
    sock.on('data', (d: Buffer) => (out += d.toString('utf8')));
    sock.on('close', () => resolve(out));
    sock.on('error', reject);
    sock.write(bytes);
    setTimeout(() => sock.destroy(), 10_000).unref();
  });
}

function problemOf(response: string): { status: number; type: string; body: any } {
  const [head, body = ''] = response.split('\r\n\r\n');
  return { status: Number(/^HTTP\/1\.1 (\d{3})/.exec(head!)?.[1]), type: /content-type: ([^\r]+)/i.exec(head!)?.[1] ?? '', body: JSON.parse(body) };
}

test('regressions found by the fuzzer: a URL that does not decode and broken HTTP framing get problem details', async () => {
  // Was Fastify's own JSON: {"code":"FST_ERR_BAD_URL", ...}.
  const bad = await raw('GET', '/guardian/v1/%ff%fe', {}, undefined, true);
  assert.equal(bad.status, 400);
  assert.match(String(bad.headers['content-type']), /^application\/problem\+json/);
  assert.equal(bad.json.code, 'invalid_request');
  // Was {"error":"Bad Request","message":"Client Error","statusCode":400}.
  const body = '{"device_id":"x","device_secret":"y"}';
  const smuggle = problemOf(await wire(`POST /guardian/v1/token HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\nTransfer-Encoding: chunked\r\n\r\n${body}`));
  assert.equal(smuggle.status, 400);
  assert.equal(smuggle.type, 'application/problem+json');
  assert.equal(smuggle.body.code, 'invalid_request');
  const junk = problemOf(await wire('GARBAGE\r\n\r\n'));
  assert.equal(junk.body.code, 'invalid_request');
  const huge = problemOf(await wire(`GET /guardian/v1/health HTTP/1.1\r\nHost: x\r\nX-Pad: ${'a'.repeat(20_000)}\r\n\r\n`));
  assert.equal(huge.status, 431);
  assert.equal(huge.body.code, 'request_too_large');
  assert.equal((await raw('GET', '/guardian/v1/health', {})).status, 200);
});
