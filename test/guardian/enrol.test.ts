// Enrolment over real HTTPS (SYNC_PROTOCOL.md §1): one-time codes, secrets
// kept only as hashes, client certificates from a CSR, and the §0 rules
// (protocol header, problem details, malformed bodies never 5xx).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { X509Certificate } from 'node:crypto';
import { addDevice, readRegistry } from '../../src/guardian/index.ts';
import { caCertPath } from '../../src/tls/index.ts';
import { startTestGuardian } from './helpers.ts';

const g = await startTestGuardian({ NEXUS_GUARDIAN_RATE_LIMIT: '100000' });
const add = (name: string, now?: Date) => addDevice(g.home, { name, enrollmentTtlHours: g.settings.enrollmentTtlHours, ...(now ? { now } : {}) });

function opensslCsr(cn: string): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'csr-'));
  try {
    execFileSync('openssl', ['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-subj', `/CN=${cn}`, '-keyout', `${dir}/k.pem`, '-out', `${dir}/r.pem`], { stdio: 'ignore' });
    return readFileSync(`${dir}/r.pem`, 'utf8');
  } finally {
    rmSync(dir, { recursive: true });
  }
}

function assertProblem(res: { status: number; headers: Record<string, unknown>; json: any }, status: number, code: string): void {
  assert.equal(res.status, status, JSON.stringify(res.json));
  assert.match(String(res.headers['content-type']), /^application\/problem\+json/);
  assert.equal(res.json.code, code);
  assert.equal(res.json.status, status);
  assert.equal(typeof res.json.detail, 'string');
  assert.equal(typeof res.json.type, 'string');
}

test('a valid code enrols the device once: 201 with id, secret and address; only a hash is kept', async () => {
  const { device, enrollmentCode } = await add('tablet-1');
  const res = await g.request('POST', '/guardian/v1/enroll', { body: { enrollment_code: enrollmentCode, device_name: 'iPad of ward 3' } });
  assert.equal(res.status, 201, res.text);
  assert.equal(res.json.device_id, device.device_id);
  assert.equal(res.json.wg_ip, device.wg_ip);
  assert.match(res.json.device_secret, /^[A-Za-z0-9_-]{43,}$/);
  assert.equal(res.json.client_certificate, undefined);
  assert.equal(res.headers['cache-control'], 'no-store');

  const stored = readFileSync(path.join(g.home, 'guardian', 'registry.json'), 'utf8');
  assert.ok(!stored.includes(res.json.device_secret), 'the secret is not stored');
  assert.ok(!stored.includes(enrollmentCode), 'the code is not stored');
  const rec = readRegistry(g.home).devices.find((d) => d.device_id === device.device_id)!;
  assert.equal(rec.status, 'active');
  assert.equal(rec.secret?.alg, 'scrypt');
  assert.ok(rec.secret!.N >= 2 ** 15);
  assert.equal(rec.reported_name, 'iPad of ward 3');

  const again = await g.request('POST', '/guardian/v1/enroll', { body: { enrollment_code: enrollmentCode } });
  assertProblem(again, 400, 'invalid_enrollment_code');
});

test('the code is accepted as a person types it (case, dashes, spaces)', async () => {
  const { enrollmentCode } = await add('tablet-typed');
  const typed = ` ${enrollmentCode.toLowerCase().replace(/-/g, ' ')} `;
  const res = await g.request('POST', '/guardian/v1/enroll', { body: { enrollment_code: typed } });
  assert.equal(res.status, 201, res.text);
});

test('unknown and expired codes are refused with invalid_enrollment_code', async () => {
  assertProblem(await g.request('POST', '/guardian/v1/enroll', { body: { enrollment_code: 'AAAA-BBBB-CCCC-DDDD-EEEE' } }), 400, 'invalid_enrollment_code');
  const longAgo = new Date(Date.now() - (g.settings.enrollmentTtlHours + 1) * 3_600_000);
  const { enrollmentCode } = await add('tablet-late', longAgo);
  assertProblem(await g.request('POST', '/guardian/v1/enroll', { body: { enrollment_code: enrollmentCode } }), 400, 'invalid_enrollment_code');
});

test('parallel enrolments with one code: exactly one wins', async () => {
  const { enrollmentCode } = await add('tablet-race');
  const all = await Promise.all(Array.from({ length: 5 }, () => g.request('POST', '/guardian/v1/enroll', { body: { enrollment_code: enrollmentCode } })));
  assert.deepEqual(all.map((r) => r.status).sort(), [201, 400, 400, 400, 400]);
});

test('a CSR yields a client certificate from the internal CA with subject = device_id; a bad CSR does not spend the code', async () => {
  const { device, enrollmentCode } = await add('tablet-cert');
  assertProblem(await g.request('POST', '/guardian/v1/enroll', { body: { enrollment_code: enrollmentCode, csr: 'not a csr' } }), 400, 'invalid_csr');
  const res = await g.request('POST', '/guardian/v1/enroll', { body: { enrollment_code: enrollmentCode, csr: opensslCsr('anything') } });
  assert.equal(res.status, 201, res.text);
  const cert = new X509Certificate(res.json.client_certificate);
  assert.equal(cert.subject, `CN=${device.device_id}`);
  assert.ok(cert.verify(new X509Certificate(readFileSync(caCertPath(g.home))).publicKey));
});

test('Nexus-Protocol other than 1 → 400 protocol_unsupported with supported [1]; 1 and absent are fine', async () => {
  for (const value of ['2', 'abc', '1.5']) {
    const res = await g.request('GET', '/guardian/v1/health', { headers: { 'nexus-protocol': value } });
    assertProblem(res, 400, 'protocol_unsupported');
    assert.deepEqual(res.json.supported, [1]);
  }
  // Checked before anything else: even a body that would be invalid.
  const early = await g.request('POST', '/guardian/v1/enroll', { body: 'nonsense', headers: { 'nexus-protocol': '2' } });
  assertProblem(early, 400, 'protocol_unsupported');
  assert.equal((await g.request('GET', '/guardian/v1/health', { headers: { 'nexus-protocol': '1' } })).status, 200);
  const health = await g.request('GET', '/guardian/v1/health');
  assert.equal(health.status, 200);
  assert.equal(health.json.status, 'ok');
});

test('malformed bodies get 400 invalid_request (never 5xx); extra members are allowed', async () => {
  const bad: unknown[] = [
    '{', 'null', '[]', '"text"', '42', '{}', '{"__proto__": {"x": 1}, "enrollment_code": "A"}',
    { enrollment_code: 42 }, { enrollment_code: null }, { enrollment_code: ['A'] }, { enrollment_code: { a: 1 } },
    { enrollment_code: '' }, { enrollment_code: 'A'.repeat(100_000) }, { enrollment_code: 'A', device_name: 7 },
    { enrollment_code: 'A', csr: false }, { device_id: 'x', device_secret: 'y' },
  ];
  for (const body of bad) {
    const res = await g.request('POST', '/guardian/v1/enroll', { body });
    assertProblem(res, 400, 'invalid_request');
  }
  for (const body of ['{', '{}', { device_id: 1, device_secret: 'x' }, { device_id: 'x' }, { device_id: 'x', device_secret: ['y'] }, { device_id: 'x', device_secret: '' }]) {
    assertProblem(await g.request('POST', '/guardian/v1/token', { body }), 400, 'invalid_request');
  }
  // Deep nesting and an oversized body: refused, not a crash.
  const deep = '{"enrollment_code":"A","x":' + '['.repeat(5000) + ']'.repeat(5000) + '}';
  const deepRes = await g.request('POST', '/guardian/v1/enroll', { body: deep });
  assert.ok(deepRes.status < 500 && deepRes.status >= 400, `deep nesting → ${deepRes.status}`);
  const huge = await g.request('POST', '/guardian/v1/enroll', { body: { enrollment_code: 'A', pad: 'x'.repeat(512 * 1024) } });
  assertProblem(huge, 413, 'request_too_large');
  // Wrong content type: a problem, not a crash.
  const text = await g.request('POST', '/guardian/v1/enroll', { body: 'enrollment_code=A', headers: { 'content-type': 'text/plain' } });
  assertProblem(text, 400, 'invalid_request');
  // Unknown members are ignored, typed members still checked.
  assertProblem(await g.request('POST', '/guardian/v1/enroll', { body: { enrollment_code: 'ZZZZ', future_field: { a: 1 } } }), 400, 'invalid_enrollment_code');
  assertProblem(await g.request('GET', '/guardian/v1/nothing'), 404, 'not_found');
});

test('generated hostile requests: never 5xx, nothing written', async () => {
  const before = readFileSync(path.join(g.home, 'guardian', 'registry.json'), 'utf8');
  let seed = 7;
  const rnd = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2 ** 31), seed % n);
  const strings = ["' OR 1=1 --", '../../etc/passwd', '\u0000', '%00', '😀'.repeat(50), 'A'.repeat(5000), '<script>', '${jndi:x}', '', ' ', '{}'];
  const value = (depth: number): unknown => {
    switch (rnd(depth > 3 ? 5 : 7)) {
      case 0: return strings[rnd(strings.length)];
      case 1: return rnd(2) ? rnd(1e9) : -1.5e308;
      case 2: return rnd(2) === 0;
      case 3: return null;
      case 4: return strings[rnd(strings.length)]!.repeat(rnd(3) + 1);
      case 5: return Array.from({ length: rnd(4) }, () => value(depth + 1));
      default: return Object.fromEntries(Array.from({ length: rnd(4) }, () => [['enrollment_code', 'device_id', 'device_secret', 'csr', 'device_name', 'constructor'][rnd(6)]!, value(depth + 1)]));
    }
  };
  for (let i = 0; i < 400; i++) {
    const route = rnd(2) ? '/guardian/v1/enroll' : '/guardian/v1/token';
    const raw = JSON.stringify(value(0)) ?? 'null';
    const body = rnd(10) === 0 ? raw.slice(0, Math.max(1, raw.length - 1)) : raw; // sometimes truncated JSON
    const res = await g.request('POST', route, { body });
    assert.ok(res.status >= 400 && res.status < 500, `${route} ${body.slice(0, 80)} → ${res.status} ${res.text.slice(0, 200)}`);
    assert.match(String(res.headers['content-type']), /^application\/problem\+json/);
  }
  assert.equal(readFileSync(path.join(g.home, 'guardian', 'registry.json'), 'utf8'), before);
  assert.equal((await g.request('GET', '/guardian/v1/health')).status, 200);
});
