// Enrolment and token requests are rate-limited per source address; the
// 429 is problem details with code rate_limited and a Retry-After.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestGuardian } from './helpers.ts';

const LIMIT = 3;
const g = await startTestGuardian({ NEXUS_GUARDIAN_RATE_LIMIT: String(LIMIT), NEXUS_GUARDIAN_RATE_WINDOW_SECONDS: '60' });

for (const route of ['/guardian/v1/token', '/guardian/v1/enroll']) {
  test(`${route}: request ${LIMIT + 1} from one address in a window → 429 rate_limited`, async () => {
    const body = route.endsWith('token') ? { device_id: 'x', device_secret: 'y' } : { enrollment_code: 'NOPE' };
    for (let i = 0; i < LIMIT; i++) {
      const res = await g.request('POST', route, { body });
      assert.ok(res.status === 400 || res.status === 401, `request ${i + 1}: ${res.status}`);
    }
    const limited = await g.request('POST', route, { body });
    assert.equal(limited.status, 429, limited.text);
    assert.match(String(limited.headers['content-type']), /^application\/problem\+json/);
    assert.equal(limited.json.code, 'rate_limited');
    assert.equal(limited.json.status, 429);
    assert.ok(Number(limited.headers['retry-after']) > 0);
    assert.ok(limited.json.retry_after_seconds > 0);
  });
}

test('JWKS, revocations and health are not limited', async () => {
  for (let i = 0; i < LIMIT * 3; i++) {
    assert.equal((await g.request('GET', '/guardian/v1/jwks.json')).status, 200);
    assert.equal((await g.request('GET', '/guardian/v1/revocations')).status, 200);
  }
});
