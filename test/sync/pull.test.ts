// Pull exactness (SYNC_PROTOCOL §4) against the real warehouse path:
// staging → ETL → mart_field → pull, with pushes and ETL runs going on
// while devices page through with small limits.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { testDatabase } from '../helpers/db.ts';
import { device, land, patient, session, type Device } from '../helpers/field-data.ts';
import { runModels } from '../../src/etl/runner.ts';
import { settle } from '../helpers/etl.ts';
import { pull } from '../../src/sync/pull.ts';
import { uuidv7, type PullChange } from '../../src/protocol/index.ts';

const t = await testDatabase();
const pool = t.db.pool('nexus_sync');
const etl = async () => {
  const res = await runModels(t.db);
  assert.deepEqual(res.filter((r) => r.status !== 'ok'), []);
};
const settled = () => settle(t);

async function drain(dev: Device, cursor: string | undefined, limit: number): Promise<{ changes: PullChange[]; cursor: string }> {
  const changes: PullChange[] = [];
  for (;;) {
    const page = await pull(pool, { deviceId: dev.id, groups: dev.groups }, cursor, limit);
    assert.ok(page.changes.length <= limit);
    changes.push(...page.changes);
    cursor = page.cursor;
    if (!page.has_more) return { changes, cursor };
  }
}

test('the first pull gives the latest version of every visible entity, never the device\u2019s own', async () => {
  const a = device();
  const b = device();
  const other = device(['south-team']);
  const p = patient();
  const [v1] = await land(t, a, [p]);
  const [v2] = await land(t, a, [{ ...p, op_id: uuidv7(), base_version: v1, payload: { ...p.payload, phone: '1' } }]);
  const hidden = patient();
  await land(t, other, [hidden]);
  const mine = patient();
  await land(t, b, [mine]);
  await settled();
  const { changes } = await drain(b, undefined, 1);
  const ids = changes.map((c) => [c.entity_id, c.version]);
  assert.deepEqual(ids, [[p.patient_id, v2]], 'latest of a, nothing of b itself, nothing of another group');
  assert.equal(changes[0]!.origin_device, a.id);
  assert.equal(changes[0]!.payload.phone, '1');
});

test('property: concurrent pushes, ETL runs and small pages — every other device\u2019s change exactly once', async () => {
  const pushers = [device(), device(), device()];
  const pullers = [device(), device(), ...pushers];
  const state = new Map<string, { cursor?: string; seen: number[] }>();
  // Everyone starts with an empty first pull (the fleet begins together).
  for (const d of pullers) state.set(d.id, { ...(await drain(d, undefined, 3)), seen: [] });
  const versionsBy = new Map<string, number[]>();
  let pushing = true;

  const pushLoop = Promise.all(
    pushers.map(async (d) => {
      for (let round = 0; round < 12; round++) {
        const ps = Array.from({ length: 5 }, () => patient());
        const vs = await land(t, d, ps.flatMap((p) => [p, session(p.patient_id)]));
        versionsBy.set(d.id, [...(versionsBy.get(d.id) ?? []), ...vs]);
        await new Promise((r) => setTimeout(r, 5 + Math.random() * 20));
      }
    }),
  ).finally(() => (pushing = false));
  const etlLoop = (async () => {
    while (pushing) {
      await etl();
      await new Promise((r) => setTimeout(r, 10));
    }
  })();
  const pullLoop = (async () => {
    while (pushing) {
      for (const d of pullers) {
        const s = state.get(d.id)!;
        const page = await pull(pool, { deviceId: d.id, groups: d.groups }, s.cursor, 1 + Math.floor(Math.random() * 7));
        s.seen.push(...page.changes.map((c) => c.version));
        s.cursor = page.cursor;
      }
    }
  })();
  await Promise.all([pushLoop, etlLoop, pullLoop]);
  await settled();
  for (const d of pullers) {
    const s = state.get(d.id)!;
    const rest = await drain(d, s.cursor, 4);
    s.seen.push(...rest.changes.map((c) => c.version));
    const expected = [...versionsBy.entries()].filter(([id]) => id !== d.id).flatMap(([, vs]) => vs).sort((x, y) => x - y);
    assert.equal(new Set(s.seen).size, s.seen.length, 'nothing repeated');
    assert.deepEqual([...s.seen].sort((x, y) => x - y), expected, 'nothing skipped, nothing of its own');
  }
});

test('a tampered cursor is 400 invalid_cursor; one behind retention is 410 cursor_expired', async () => {
  const d = device();
  const { cursor } = await drain(d, undefined, 10);
  const [body, mac] = cursor.split('.');
  const forged = Buffer.from(JSON.stringify([1, 'c', null, '1', '0'])).toString('base64url');
  for (const bad of [`${forged}.${mac}`, `${body}.${mac!.slice(1)}x`, 'garbage', '', 'a.b.c']) {
    await assert.rejects(pull(pool, { deviceId: d.id, groups: d.groups }, bad, 10), { code: 'invalid_cursor', status: 400 }, bad);
  }
  // Retention removed changes up to beyond the cursor's position.
  await t.query('nexus_owner', `UPDATE mart_field.retention SET pruned_before_txid = ((pg_current_xact_id()::text)::bigint + 10)::text::xid8`);
  await assert.rejects(pull(pool, { deviceId: d.id, groups: d.groups }, cursor, 10), { code: 'cursor_expired', status: 410 });
  await t.query('nexus_owner', `UPDATE mart_field.retention SET pruned_before_txid = '0'`);
});
