// Migration 0005: sync's bookkeeping tables, their grants, and the
// parameters version that rises once per changing transaction.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { testDatabase, type TestDb } from '../helpers/db.ts';

const t: TestDb = await testDatabase();
const DEVICE = '0192f1d2-0000-7000-8000-0000000000d1';

test('nexus_sync keeps its bookkeeping but cannot rewrite history or parameters', async () => {
  await t.query('nexus_sync', `INSERT INTO nexus.sync_device (device_id) VALUES ($1)`, [DEVICE]);
  await t.query('nexus_sync', `UPDATE nexus.sync_device SET last_seq = 5 WHERE device_id = $1`, [DEVICE]);
  await t.query('nexus_sync', `INSERT INTO nexus.sync_requests (request_id, direction, device_id, requested_at, http_status) VALUES (gen_random_uuid(), 'push', $1, now(), 200)`, [DEVICE]);
  for (const sql of [
    'UPDATE nexus.sync_requests SET http_status = 500',
    'DELETE FROM nexus.sync_requests',
    'SELECT * FROM nexus.sync_requests',
    'DELETE FROM nexus.sync_device',
    `INSERT INTO nexus.parameters (key, value) VALUES ('k', '1')`,
    'UPDATE nexus.parameters_version SET version = 99',
  ]) {
    await assert.rejects(t.query('nexus_sync', sql), { code: '42501' }, sql);
  }
});

test('nexus_etl reads what ETL will turn into warehouse rows, and writes none of it', async () => {
  for (const table of ['nexus.sync_device', 'nexus.sync_requests', 'nexus.parameters', 'nexus.parameters_version']) {
    await t.query('nexus_etl', `SELECT * FROM ${table}`);
  }
  await assert.rejects(t.query('nexus_etl', 'DELETE FROM nexus.sync_requests'), { code: '42501' });
  await assert.rejects(t.query('nexus_etl', `INSERT INTO nexus.parameters (key, value) VALUES ('k', '1')`), { code: '42501' });
  await assert.rejects(t.query('clarity_reader', 'SELECT * FROM nexus.sync_requests'), { code: '42501' });
});

test('the parameters version rises once per changing transaction', async () => {
  const version = async () => Number((await t.query<{ v: string }>('admin', 'SELECT version AS v FROM nexus.parameters_version'))[0]!.v);
  const v0 = await version();
  await t.query('nexus_owner', `BEGIN; INSERT INTO nexus.parameters VALUES ('a', '1'); INSERT INTO nexus.parameters VALUES ('b', '2'); UPDATE nexus.parameters SET value = '3' WHERE key = 'a'; COMMIT`);
  assert.equal(await version(), v0 + 1);
  await t.query('nexus_owner', `DELETE FROM nexus.parameters WHERE key = 'b'`);
  assert.equal(await version(), v0 + 2);
  await t.query('nexus_owner', `DELETE FROM nexus.parameters WHERE key = 'nothing'`);
  assert.equal(await version(), v0 + 2, 'no row changed, no new version');
});

test('staging.sync_inbound has device_groups and the file index sync and files use', async () => {
  const cols = await t.query<{ data_type: string }>('admin', `SELECT data_type FROM information_schema.columns WHERE table_schema = 'staging' AND table_name = 'sync_inbound' AND column_name = 'device_groups'`);
  assert.equal(cols[0]?.data_type, 'ARRAY');
  const idx = await t.query<{ def: string }>('admin', `SELECT indexdef AS def FROM pg_indexes WHERE indexname = 'sync_inbound_file_sha256'`);
  assert.match(idx[0]!.def, /payload.*sha256.*WHERE.*document.*image/);
});
