// The defence-in-depth checks of SYNC_PROTOCOL §1 that are settings: mutual
// TLS with the device certificate from enrolment, and the source address
// against the token's wg_ip.

import 'reflect-metadata'; // before @peculiar/x509, which needs it loaded
import { test } from 'node:test';
import assert from 'node:assert/strict';
import https from 'node:https';
import { webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';
import { addDevice } from '../../src/guardian/index.ts';
import { startStack, enrolDevice, fetchToken, request, auth, makeOp, type Stack } from './stack.ts';

const mtls: Stack = await startStack({ NEXUS_REQUIRE_CLIENT_CERT: 'true' });
const addr: Stack = await startStack({ NEXUS_CHECK_SOURCE_ADDRESS: 'true' });

// As an iPad does it: an ECDSA P-256 key and a PKCS#10 request (src/tls has set x509's crypto provider).
async function keyAndCsr(cn: string): Promise<{ keyPem: string; csrPem: string }> {
  const alg = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };
  const keys = (await webcrypto.subtle.generateKey(alg, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({ name: `CN=${cn}`, keys: keys as any, signingAlgorithm: alg });
  const pkcs8 = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey)).toString('base64');
  const keyPem = `-----BEGIN PRIVATE KEY-----\n${pkcs8.match(/.{1,64}/g)!.join('\n')}\n-----END PRIVATE KEY-----\n`;
  return { keyPem, csrPem: csr.toString('pem') };
}

async function enrolWithCsr(s: Stack, name: string): Promise<{ deviceId: string; token: string; keyPem: string; certPem: string }> {
  const added = await addDevice(s.home, { name, enrollmentTtlHours: 24 });
  const { keyPem, csrPem } = await keyAndCsr('ignored-by-the-ca');
  const r = await request(s, s.guardian.url, 'POST', '/guardian/v1/enroll', { json: { enrollment_code: added.enrollmentCode, csr: csrPem } });
  assert.equal(r.status, 201, r.text);
  const token = await fetchToken(s, { deviceId: r.json.device_id, secret: r.json.device_secret });
  return { deviceId: r.json.device_id, token, keyPem, certPem: r.json.client_certificate };
}

test('with NEXUS_REQUIRE_CLIENT_CERT, a request without the device certificate is 401 client_certificate_required', async () => {
  const d = await enrolDevice(mtls);
  const r = await request(mtls, mtls.sync.url, 'POST', '/v1/sync/push', { headers: auth(d.token), json: { ops: [makeOp(1)] } });
  assert.equal(r.status, 401);
  assert.equal(r.json.code, 'client_certificate_required');
});

test('with NEXUS_REQUIRE_CLIENT_CERT, the device certificate from enrolment is accepted, another device\u2019s is not', async () => {
  const a = await enrolWithCsr(mtls, 'cert-a');
  const b = await enrolWithCsr(mtls, 'cert-b');
  const withCert = (c: { keyPem: string; certPem: string }) => ({ agent: new https.Agent({ ca: mtls.ca, key: c.keyPem, cert: c.certPem }) });
  const ok = await request(withCert(a), mtls.sync.url, 'POST', '/v1/sync/push', { headers: auth(a.token), json: { ops: [makeOp(1)] } });
  assert.equal(ok.status, 200, ok.text);
  const swapped = await request(withCert(b), mtls.sync.url, 'POST', '/v1/sync/push', { headers: auth(a.token), json: { ops: [makeOp(2)] } });
  assert.equal(swapped.status, 401);
  assert.equal(swapped.json.code, 'client_certificate_required');
});

test('with NEXUS_CHECK_SOURCE_ADDRESS=true, a request from another address than wg_ip is 401 token_address_mismatch', async () => {
  const d = await enrolDevice(addr);
  assert.match(d.wgIp, /^10\.10\.0\.1\d\d$/);
  const r = await request(addr, addr.sync.url, 'GET', '/v1/parameters', { headers: auth(d.token) });
  assert.equal(r.status, 401);
  assert.equal(r.json.code, 'token_address_mismatch');
});

test('the source address check: auto is on unless sync listens on loopback only', async () => {
  const { checksSourceAddress } = await import('../../src/sync/service.ts');
  const { sameAddress } = await import('../../src/sync/auth.ts');
  assert.equal(checksSourceAddress({ checkSourceAddress: 'auto' }, '127.0.0.1'), false);
  assert.equal(checksSourceAddress({ checkSourceAddress: 'auto' }, '10.10.0.10'), true);
  assert.equal(checksSourceAddress({ checkSourceAddress: 'auto' }, '0.0.0.0'), true);
  assert.equal(checksSourceAddress({ checkSourceAddress: 'false' }, '10.10.0.10'), false);
  assert.equal(checksSourceAddress({ checkSourceAddress: 'true' }, '127.0.0.1'), true);
  assert.equal(sameAddress('::ffff:10.10.0.101', '10.10.0.101'), true);
  assert.equal(sameAddress('10.10.0.102', '10.10.0.101'), false);
});
