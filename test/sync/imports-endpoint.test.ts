// The import endpoint is mounted on the sync server's HTTPS port, guarded by
// the administrators' import token (not a device token).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { request, startStack } from './stack.ts';

const TOKEN = 'import-token-for-tests-0123456789abcdef';
const s = await startStack({ NEXUS_IMPORT_TOKEN: TOKEN });

test('POST /v1/imports streams a CSV into staging.import_raw; no or a wrong token is 401', async () => {
  const csv = 'site,visits\nnorth,3\nsouth,5\n';
  const denied = await request(s, s.sync.url, 'POST', '/v1/imports?source=sites&format=csv', { headers: { 'content-type': 'text/csv' }, body: csv });
  assert.equal(denied.status, 401);
  const wrong = await request(s, s.sync.url, 'POST', '/v1/imports?source=sites&format=csv', { headers: { 'content-type': 'text/csv', authorization: 'Bearer not-the-token' }, body: csv });
  assert.equal(wrong.status, 401);
  const ok = await request(s, s.sync.url, 'POST', '/v1/imports?source=sites&format=csv', { headers: { 'content-type': 'text/csv', authorization: `Bearer ${TOKEN}` }, body: csv });
  assert.equal(ok.status, 201, ok.text);
  const rows = await s.t.query<{ line_number: string; raw: Record<string, string> }>('admin', `SELECT line_number, raw FROM staging.import_raw WHERE source = 'sites' ORDER BY line_number`);
  assert.deepEqual(rows.map((r) => r.raw.site), ['north', 'south']);
});
