// Key rotation with a short token lifetime: after `nexus guardian rotate-key`
// the old key keeps verifying its tokens until they expire, then leaves the
// JWKS and the key file.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { decodeProtectedHeader } from 'jose';
import { addDevice, readKeys } from '../../src/guardian/index.ts';
import { nexus } from '../helpers/cli.ts';
import { startTestGuardian, verifyWithServedJwks } from './helpers.ts';

const TTL = 20; // long enough for CLI round trips on a loaded 2-core machine, short enough to wait out
const g = await startTestGuardian({ NEXUS_TOKEN_TTL_SECONDS: String(TTL), NEXUS_GUARDIAN_RATE_LIMIT: '100000' });
const env = { NEXUS_HOME: g.home, NEXUS_TOKEN_TTL_SECONDS: String(TTL) };

test('rotate-key: old tokens verify until they expire, new tokens use the new kid, the old key is then dropped', async () => {
  const { enrollmentCode } = await addDevice(g.home, { name: 'rotating', enrollmentTtlHours: 24 });
  const dev = (await g.request('POST', '/guardian/v1/enroll', { body: { enrollment_code: enrollmentCode } })).json;
  const getToken = async () => (await g.request('POST', '/guardian/v1/token', { body: { device_id: dev.device_id, device_secret: dev.device_secret } })).json.access_token as string;

  const oldToken = await getToken();
  const oldKid = decodeProtectedHeader(oldToken).kid!;

  const rotated = await nexus(['guardian', 'rotate-key', '--json'], env);
  assert.equal(rotated.code, 0, rotated.stderr);
  const res = JSON.parse(rotated.stdout) as { kid: string; retiring: Array<{ kid: string; publish_until: string }>; dropped: string[] };
  assert.notEqual(res.kid, oldKid);
  assert.deepEqual(res.retiring.map((k) => k.kid), [oldKid]);

  // The server picked up the new key without a restart.
  const newToken = await getToken();
  assert.equal(decodeProtectedHeader(newToken).kid, res.kid);
  const jwks = (await g.request('GET', '/guardian/v1/jwks.json')).json;
  assert.deepEqual(jwks.keys.map((k: { kid: string }) => k.kid).sort(), [oldKid, res.kid].sort());
  assert.equal((await verifyWithServedJwks(g, oldToken)).payload.sub, dev.device_id);
  assert.equal((await verifyWithServedJwks(g, newToken)).payload.sub, dev.device_id);

  // Once every token of the old key has expired, the key is no longer published.
  await sleep(Date.parse(res.retiring[0]!.publish_until) - Date.now() + 200);
  const later = (await g.request('GET', '/guardian/v1/jwks.json')).json;
  assert.deepEqual(later.keys.map((k: { kid: string }) => k.kid), [res.kid]);
  await assert.rejects(verifyWithServedJwks(g, oldToken), (err: Error & { code?: string }) => ['ERR_JWKS_NO_MATCHING_KEY', 'ERR_JWT_EXPIRED'].includes(err.code ?? ''));

  // The next rotation removes it from the key file too.
  const again = await nexus(['guardian', 'rotate-key', '--json'], env);
  assert.equal(again.code, 0, again.stderr);
  assert.deepEqual(JSON.parse(again.stdout).dropped, [oldKid]);
  assert.ok(!readKeys(g.home).keys.some((k) => k.kid === oldKid));
});
