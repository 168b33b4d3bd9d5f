// Access tokens over real HTTPS: issued for good credentials, verified with
// jose against the served JWKS exactly as the sync API will; refused with
// 401 invalid_client otherwise; revocations published.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeProtectedHeader } from 'jose';
import { addDevice, revokeDevice } from '../../src/guardian/index.ts';
import { TOKEN_ALGORITHM } from '../../src/protocol/index.ts';
import { startTestGuardian, verifyWithServedJwks, type TestGuardian } from './helpers.ts';
import { nexus } from '../helpers/cli.ts';

const g = await startTestGuardian({ NEXUS_GUARDIAN_RATE_LIMIT: '100000', NEXUS_TOKEN_TTL_SECONDS: '600' });

async function enrolled(guardian: TestGuardian, name: string, groups?: string[]) {
  const { enrollmentCode } = await addDevice(guardian.home, { name, enrollmentTtlHours: 24, ...(groups ? { groups } : {}) });
  const res = await guardian.request('POST', '/guardian/v1/enroll', { body: { enrollment_code: enrollmentCode } });
  assert.equal(res.status, 201, res.text);
  return res.json as { device_id: string; device_secret: string; wg_ip: string };
}

const token = (device_id: string, device_secret: string) => g.request('POST', '/guardian/v1/token', { body: { device_id, device_secret } });

test('good credentials → 200 Bearer token; header and claims verify against the served JWKS', async () => {
  const dev = await enrolled(g, 'ward-1', ['north', 'south']);
  const before = Math.floor(Date.now() / 1000);
  const res = await token(dev.device_id, dev.device_secret);
  assert.equal(res.status, 200, res.text);
  assert.equal(res.json.token_type, 'Bearer');
  assert.equal(res.json.expires_in, 600);
  assert.equal(res.headers['cache-control'], 'no-store');

  const header = decodeProtectedHeader(res.json.access_token);
  assert.equal(header.alg, TOKEN_ALGORITHM);
  assert.equal(typeof header.kid, 'string');

  const { payload, protectedHeader } = await verifyWithServedJwks(g, res.json.access_token);
  assert.equal(protectedHeader.kid, header.kid);
  assert.equal(payload.iss, g.settings.tokenIssuer);
  assert.equal(payload.aud, 'nexus-sync');
  assert.equal(payload.sub, dev.device_id);
  assert.deepEqual(payload.groups, ['north', 'south']);
  assert.equal(payload.wg_ip, dev.wg_ip);
  assert.match(String(payload.jti), /^[0-9a-f-]{36}$/);
  assert.ok(payload.iat! >= before - 1 && payload.iat! <= before + 5);
  assert.equal(payload.exp! - payload.iat!, 600);

  const second = await token(dev.device_id, dev.device_secret);
  const again = await verifyWithServedJwks(g, second.json.access_token);
  assert.notEqual(again.payload.jti, payload.jti, 'every token has its own jti');

  // The JWKS holds public keys only.
  const jwks = await g.request('GET', '/guardian/v1/jwks.json');
  assert.equal(jwks.status, 200);
  for (const k of jwks.json.keys) {
    assert.deepEqual(Object.keys(k).sort(), ['alg', 'crv', 'kid', 'kty', 'use', 'x']);
    assert.equal(k.d, undefined);
  }
});

test('wrong secret, unknown device, pending device, revoked device → 401 invalid_client', async () => {
  const dev = await enrolled(g, 'ward-2');
  const pending = await addDevice(g.home, { name: 'ward-2-pending', enrollmentTtlHours: 24 });
  const cases: Array<[string, string]> = [
    [dev.device_id, dev.device_secret + 'x'],
    [dev.device_id, 'short'],
    ['0192f1d2-0000-7000-8000-000000000099', dev.device_secret],
    ['not-a-uuid', dev.device_secret],
    [pending.device.device_id, dev.device_secret],
  ];
  for (const [id, secret] of cases) {
    const res = await token(id, secret);
    assert.equal(res.status, 401, `${id}: ${res.text}`);
    assert.equal(res.json.code, 'invalid_client');
    assert.match(String(res.headers['content-type']), /^application\/problem\+json/);
  }
  assert.equal((await token(dev.device_id, dev.device_secret)).status, 200);
  await revokeDevice(g.home, 'ward-2');
  const revoked = await token(dev.device_id, dev.device_secret);
  assert.equal(revoked.status, 401);
  assert.equal(revoked.json.code, 'invalid_client');
});

test('the revocation list names revoked devices with the time; no secrets', async () => {
  const dev = await enrolled(g, 'ward-3');
  const before = await g.request('GET', '/guardian/v1/revocations');
  assert.equal(before.status, 200);
  assert.ok(!before.json.revoked.some((r: { device_id: string }) => r.device_id === dev.device_id));
  const { device } = await revokeDevice(g.home, dev.device_id); // by id works as well as by name
  const after = await g.request('GET', '/guardian/v1/revocations');
  const entry = after.json.revoked.find((r: { device_id: string }) => r.device_id === dev.device_id);
  assert.deepEqual(entry, { device_id: dev.device_id, revoked_at: device.revoked_at });
  assert.ok(Date.parse(after.json.as_of) >= Date.parse(device.revoked_at!));
  assert.deepEqual(Object.keys(after.json).sort(), ['as_of', 'revoked']);
  assert.ok(!after.text.includes('scrypt') && !after.text.includes('code_sha256'));
});

test('the running server sees devices the CLI adds and revokes, without a restart', async () => {
  const env = { NEXUS_HOME: g.home };
  const added = await nexus(['device', 'add', 'cli-tablet', '--json'], env);
  assert.equal(added.code, 0, added.stderr);
  const out = JSON.parse(added.stdout);
  const enrol = await g.request('POST', '/guardian/v1/enroll', { body: { enrollment_code: out.enrollment_code } });
  assert.equal(enrol.status, 201, enrol.text);
  assert.equal((await token(enrol.json.device_id, enrol.json.device_secret)).status, 200);
  const revoked = await nexus(['device', 'revoke', 'cli-tablet'], env);
  assert.equal(revoked.code, 0, revoked.stderr);
  assert.equal((await token(enrol.json.device_id, enrol.json.device_secret)).status, 401);
  const list = await g.request('GET', '/guardian/v1/revocations');
  assert.ok(list.json.revoked.some((r: { device_id: string }) => r.device_id === out.device_id));
});
