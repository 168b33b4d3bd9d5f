// Secrets and codes: slow salted hashes verified in constant time, codes a
// person can type.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { enrollmentCodeHash, hashSecret, newDeviceSecret, newEnrollmentCode, normalizeEnrollmentCode, SCRYPT_PARAMS, verifySecret } from '../../src/guardian/secrets.ts';

test('device secrets: ≥ 32 random bytes, salted scrypt hash with its parameters, verified', async () => {
  const secret = newDeviceSecret();
  assert.ok(Buffer.from(secret, 'base64url').length >= 32);
  assert.notEqual(secret, newDeviceSecret());
  const h1 = await hashSecret(secret);
  const h2 = await hashSecret(secret);
  assert.equal(h1.alg, 'scrypt');
  assert.deepEqual({ N: h1.N, r: h1.r, p: h1.p }, SCRYPT_PARAMS);
  assert.notEqual(h1.salt, h2.salt);
  assert.notEqual(h1.hash, h2.hash);
  assert.equal(await verifySecret(secret, h1), true);
  assert.equal(await verifySecret(secret + 'x', h1), false);
  assert.equal(await verifySecret(secret, null), false);
  // Hashes made with other parameters still verify: they are stored with the hash.
  const cheap = await hashSecret(secret, { N: 2 ** 10, r: 8, p: 1 });
  assert.equal(await verifySecret(secret, cheap), true);
});

test('enrolment codes: 20 Crockford base32 characters; typed variants hash alike', () => {
  const code = newEnrollmentCode();
  assert.match(code, /^[0-9A-HJKMNP-TV-Z]{4}(-[0-9A-HJKMNP-TV-Z]{4}){4}$/);
  assert.notEqual(code, newEnrollmentCode());
  assert.equal(normalizeEnrollmentCode(' ab0o-1il '), 'AB00111');
  assert.equal(enrollmentCodeHash(code), enrollmentCodeHash(code.toLowerCase().replace(/-/g, ' ')));
  assert.notEqual(enrollmentCodeHash(code), enrollmentCodeHash(newEnrollmentCode()));
  assert.match(enrollmentCodeHash(code), /^[0-9a-f]{64}$/);
});
