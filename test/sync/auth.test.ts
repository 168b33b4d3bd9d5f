// Tokens (SYNC_PROTOCOL §0, §1) against a real Guardian: every failure gets
// its own 401 code, checked on every request, for push and parameters alike.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { readKeys, revokeDevice, rotateKey } from '../../src/guardian/index.ts';
import { startStack, enrolDevice, fetchToken, request, auth, makeOp, countRows, type Stack } from './stack.ts';
import { claims, signWithGuardianKey, signWithStrangerKey, unsigned } from './tokens.ts';

const s: Stack = await startStack();

async function codeFor(headers: Record<string, string>, path = '/v1/parameters'): Promise<string> {
  const r = await request(s, s.sync.url, 'GET', path, { headers });
  assert.equal(r.status, 401, r.text);
  assert.equal(r.headers['content-type'], 'application/problem+json; charset=utf-8');
  return r.json.code;
}

test('a missing or malformed bearer token is 401 unauthorized', async () => {
  assert.equal(await codeFor({}), 'unauthorized');
  assert.equal(await codeFor({ authorization: 'Basic dXNlcjpwYXNz' }), 'unauthorized');
  assert.equal(await codeFor({ authorization: 'Bearer' }), 'unauthorized');
  assert.equal(await codeFor({ authorization: 'Bearer not-a-jwt' }), 'unauthorized');
  assert.equal(await codeFor({ authorization: 'Bearer a.b.c' }), 'unauthorized');
  const r = await request(s, s.sync.url, 'POST', '/v1/sync/push', { json: { ops: [] } });
  assert.equal(r.json.code, 'unauthorized');
});

test('a valid token from Guardian is accepted on every route', async () => {
  const d = await enrolDevice(s);
  const r = await request(s, s.sync.url, 'GET', '/v1/parameters', { headers: auth(d.token) });
  assert.equal(r.status, 200, r.text);
  const p = await request(s, s.sync.url, 'POST', '/v1/sync/push', { headers: auth(d.token), json: { ops: [makeOp(1)] } });
  assert.equal(p.status, 200, p.text);
});

test('an expired token is 401 token_expired', async () => {
  const d = await enrolDevice(s);
  const now = Math.floor(Date.now() / 1000);
  const token = await signWithGuardianKey(s, claims(s, d, { iat: now - 1000, exp: now - 60 }));
  assert.equal(await codeFor(auth(token)), 'token_expired');
  // iat too long ago for the protocol's 15-minute cap, even if exp says otherwise
  const old = await signWithGuardianKey(s, claims(s, d, { iat: now - 3600, exp: now + 3600 }));
  assert.equal(await codeFor(auth(old)), 'token_expired');
  const noIat = await signWithGuardianKey(s, claims(s, d, { iat: undefined }));
  assert.equal(await codeFor(auth(noIat)), 'invalid_token');
});

test('the Bearer scheme is case-insensitive; 401s carry WWW-Authenticate', async () => {
  const d = await enrolDevice(s);
  const ok = await request(s, s.sync.url, 'GET', '/v1/parameters', { headers: { authorization: `bearer ${d.token}` } });
  assert.equal(ok.status, 200);
  const none = await request(s, s.sync.url, 'GET', '/v1/parameters');
  assert.equal(none.headers['www-authenticate'], 'Bearer realm="nexus-sync"');
  const bad = await request(s, s.sync.url, 'GET', '/v1/parameters', { headers: auth(`${d.token}x`) });
  assert.equal(bad.headers['www-authenticate'], 'Bearer realm="nexus-sync", error="invalid_token"');
});

test('wrong signature, alg none, wrong audience, wrong issuer, unknown kid are 401 invalid_token', async () => {
  const d = await enrolDevice(s);
  const kid = readKeys(s.home).current!;
  const good = claims(s, d);
  assert.equal(await codeFor(auth(await signWithStrangerKey(good, kid))), 'invalid_token', 'wrong signature');
  assert.equal(await codeFor(auth(unsigned(good, kid))), 'invalid_token', 'alg none');
  assert.equal(await codeFor(auth(await signWithGuardianKey(s, claims(s, d, { aud: 'clarity' })))), 'invalid_token', 'audience');
  assert.equal(await codeFor(auth(await signWithGuardianKey(s, claims(s, d, { iss: 'someone-else' })))), 'invalid_token', 'issuer');
  assert.equal(await codeFor(auth(await signWithGuardianKey(s, claims(s, d, { sub: 'not-a-uuid' })))), 'invalid_token', 'sub');
  assert.equal(await codeFor(auth(await signWithStrangerKey(good, 'no-such-kid'))), 'invalid_token', 'unknown kid');
  // A real token with its signature swapped for another real token's.
  const other = await fetchToken(s, d);
  const forged = `${d.token.split('.').slice(0, 2).join('.')}.${(await signWithGuardianKey(s, claims(s, d))).split('.')[2]}`;
  assert.equal(await codeFor(auth(forged)), 'invalid_token', 'swapped signature');
  assert.equal((await request(s, s.sync.url, 'GET', '/v1/parameters', { headers: auth(other) })).status, 200);
});

test('after Guardian rotates its key, tokens of the new kid verify (JWKS refetched on unknown kid)', async () => {
  const d = await enrolDevice(s);
  await sleep(1100); // past the refetch cool-down of the test before
  await rotateKey(s.home, s.settings.tokenTtlSeconds);
  const fresh = await fetchToken(s, d);
  assert.notEqual(JSON.parse(Buffer.from(fresh.split('.')[0]!, 'base64url').toString()).kid, JSON.parse(Buffer.from(d.token.split('.')[0]!, 'base64url').toString()).kid);
  const r = await request(s, s.sync.url, 'GET', '/v1/parameters', { headers: auth(fresh) });
  assert.equal(r.status, 200, r.text);
  // the previous key still verifies its unexpired tokens
  assert.equal((await request(s, s.sync.url, 'GET', '/v1/parameters', { headers: auth(d.token) })).status, 200);
});

test('a revoked device is refused within the poll interval, even with an unexpired token', async () => {
  const d = await enrolDevice(s);
  assert.equal((await request(s, s.sync.url, 'GET', '/v1/parameters', { headers: auth(d.token) })).status, 200);
  await revokeDevice(s.home, d.name);
  const t0 = Date.now();
  let code = '';
  while (Date.now() - t0 < 10_000) {
    const r = await request(s, s.sync.url, 'POST', '/v1/sync/push', { headers: auth(d.token), json: { ops: [makeOp(1)] } });
    if (r.status === 401) {
      code = r.json.code;
      break;
    }
    await sleep(100);
  }
  assert.equal(code, 'device_revoked');
  assert.ok(Date.now() - t0 < 3 * s.settings.revocationPollSeconds * 1000 + 1000, 'refused within a few poll intervals');
  const ops = await countRows(s, d.deviceId);
  await sleep(300);
  assert.equal(await countRows(s, d.deviceId), ops, 'nothing written after revocation');
});

test('Nexus-Protocol other than 1 is 400 protocol_unsupported, checked before the token', async () => {
  for (const v of ['2', 'abc', '1.0', '']) {
    const r = await request(s, s.sync.url, 'POST', '/v1/sync/push', { headers: { 'nexus-protocol': v }, json: { ops: [] } });
    assert.equal(r.status, 400, `${v}: ${r.text}`);
    assert.equal(r.json.code, 'protocol_unsupported');
    assert.deepEqual(r.json.supported, [1]);
  }
  const d = await enrolDevice(s);
  const ok = await request(s, s.sync.url, 'GET', '/v1/parameters', { headers: { ...auth(d.token), 'nexus-protocol': '1' } });
  assert.equal(ok.status, 200);
});
