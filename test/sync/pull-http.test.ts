// GET /v1/sync/pull over HTTPS on the whole path: push → staging → ETL
// workers (started by the push's own request) → mart_field → pull.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { auth, enrolDevice, makeOp, push, request, startStack } from './stack.ts';
import { etlMartsService, etlStagingService } from '../../src/etl/service.ts';
import { createLogger } from '../../src/core/log.ts';
import { payloadSha256 } from '../../src/protocol/index.ts';

const s = await startStack();
// Silent: the database is dropped under the workers when the file ends.
const ctx = { settings: s.settings, log: createLogger('silent'), db: s.t.db, endpoints: {} };
const workers = [await etlStagingService.start(ctx), await etlMartsService.start(ctx)];
test.after(() => Promise.all(workers.map((w) => w.stop())));

const pull = (token: string, query = '') => request(s, s.sync.url, 'GET', `/v1/sync/pull${query}`, { headers: auth(token) });

test('a change pushed by device A is in device B\u2019s pull within 10 s, with default settings', async () => {
  const a = await enrolDevice(s);
  const b = await enrolDevice(s);
  const first = await pull(b.token);
  assert.equal(first.status, 200, first.text);
  let cursor = first.json.cursor as string;

  const payload = { patient_id: '0192f1d2-0000-7000-8000-00000000aaaa', first_name: 'Ada', site: 'north' };
  const op = makeOp(1, { entity: 'patient', patient_id: payload.patient_id, entity_id: payload.patient_id, payload, payload_sha256: payloadSha256(payload) });
  const pushed = await push(s, a, [op]);
  assert.equal(pushed.status, 200, pushed.text);
  const version = pushed.json.results[0].version as number;
  const t0 = Date.now();
  let seen: Array<Record<string, unknown>> = [];
  while (Date.now() - t0 < 10_000 && seen.length === 0) {
    const page = await pull(b.token, `?cursor=${encodeURIComponent(cursor)}&limit=10`);
    assert.equal(page.status, 200, page.text);
    seen = page.json.changes;
    cursor = page.json.cursor;
    if (!seen.length) await new Promise((r) => setTimeout(r, 200));
  }
  assert.ok(Date.now() - t0 < 10_000, 'within 10 s');
  assert.deepEqual(seen.map((c) => [c.entity, c.entity_id, c.version, c.origin_device, c.payload_sha256]), [['patient', payload.patient_id, version, a.deviceId, op.payload_sha256]]);
  assert.deepEqual(seen[0]!.payload, payload);

  // A's own change does not come back to A; A's last_seq is its write checkpoint.
  const own = await pull(a.token);
  assert.equal(own.json.changes.length, 0);
  assert.equal(own.json.last_seq, 1);
  assert.equal(typeof own.json.parameters_version, 'number');
  const logged = await s.t.query<{ n: number }>('admin', `SELECT count(*)::int AS n FROM nexus.sync_requests WHERE direction = 'pull' AND device_id = $1`, [b.deviceId]);
  assert.ok(logged[0]!.n >= 2, 'pulls are logged');
});

test('bad pulls: tampered cursor 400 invalid_cursor, bad limit 400, no token 401', async () => {
  const d = await enrolDevice(s);
  const ok = await pull(d.token, '?limit=1000');
  assert.equal(ok.status, 200);
  const tampered = await pull(d.token, `?cursor=${encodeURIComponent(ok.json.cursor.replace(/.$/, (c: string) => (c === 'A' ? 'B' : 'A')))}`);
  assert.equal(tampered.status, 400);
  assert.equal(tampered.json.code, 'invalid_cursor');
  assert.match(tampered.headers['content-type'] as string, /application\/problem\+json/);
  for (const q of ['?limit=0', '?limit=1001', '?limit=abc', '?limit=-1']) {
    const r = await pull(d.token, q);
    assert.equal(r.status, 400, q);
    assert.equal(r.json.code, 'invalid_request', q);
  }
  const anon = await request(s, s.sync.url, 'GET', '/v1/sync/pull');
  assert.equal(anon.status, 401);
  assert.equal(anon.json.code, 'unauthorized');
});
