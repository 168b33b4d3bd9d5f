// The layers, tables and rules the migrations create.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { testDatabase, type TestDb } from '../helpers/db.ts';

const t: TestDb = await testDatabase();

test('every schema and table of DESIGN.md §3 exists, owned by nexus_owner', async () => {
  const rows = await t.query<{ s: string; t: string; owner: string }>('admin', `
    SELECT n.nspname AS s, c.relname AS t, pg_get_userbyid(c.relowner) AS owner
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE c.relkind = 'r' AND n.nspname IN ('staging', 'warehouse', 'nexus')
    ORDER BY 1, 2`);
  const names = rows.map((r) => `${r.s}.${r.t}`);
  for (const expected of [
    'staging.sync_inbound', 'staging.crawl_raw', 'staging.import_raw',
    'warehouse.dim_calendar', 'warehouse.dim_device', 'warehouse.dim_entity', 'warehouse.dim_source',
    'warehouse.fact_transactions', 'warehouse.fact_events', 'warehouse.fact_sync_log',
    'nexus.schema_migrations',
  ]) {
    assert.ok(names.includes(expected), `missing ${expected}`);
  }
  assert.deepEqual([...new Set(rows.map((r) => r.owner))], ['nexus_owner']);
  const schemas = await t.query<{ n: string }>('admin', `SELECT nspname AS n FROM pg_namespace WHERE nspname LIKE 'mart_%' ORDER BY 1`);
  assert.deepEqual(schemas.map((r) => r.n), ['mart_analytics', 'mart_field', 'mart_ops']);
});

test('SCD2 dimensions carry surrogate key, natural key, validity, is_current and change hash', async () => {
  for (const [table, natural] of [['dim_device', 'device_id'], ['dim_entity', 'natural_key'], ['dim_source', 'source_name']] as const) {
    const cols = await t.query<{ c: string }>('admin', `SELECT column_name AS c FROM information_schema.columns WHERE table_schema = 'warehouse' AND table_name = $1`, [table]);
    const names = cols.map((r) => r.c);
    for (const c of [`${table.replace('dim_', '')}_key`, natural, 'valid_from', 'valid_to', 'is_current', 'change_hash']) {
      assert.ok(names.includes(c), `${table} lacks ${c}`);
    }
  }
});

test('an SCD2 key can have only one current row', async () => {
  const insert = `INSERT INTO warehouse.dim_device (device_key, device_id, valid_from, is_current, change_hash) VALUES ($1, '0192f1d2-0000-7000-8000-0000000000aa', $2, true, 'h')`;
  await t.query('nexus_etl', insert, [1, '2026-11-01T00:00:00Z']);
  await assert.rejects(t.query('nexus_etl', insert, [2, '2026-11-02T00:00:00Z']), { code: '23505' });
});

test('staging is append-only, even for the owner; retention may delete when switched on', async () => {
  await t.query('nexus_sync', `INSERT INTO staging.sync_inbound (request_id, device_id, seq, op_id, status, raw) VALUES (gen_random_uuid(), gen_random_uuid(), 1, 'a', 'applied', '{"k":1}')`);
  await assert.rejects(t.query('nexus_owner', 'UPDATE staging.sync_inbound SET source = $1', ['changed']), /append-only/);
  await assert.rejects(t.query('nexus_owner', 'DELETE FROM staging.sync_inbound'), /append-only/);
  await assert.rejects(t.query('nexus_owner', 'TRUNCATE staging.sync_inbound'), /append-only/);
  const kept = await t.query<{ n: number }>('admin', 'SELECT count(*)::int AS n FROM staging.sync_inbound');
  assert.equal(kept[0]!.n, 1);
  await t.query('nexus_owner', `BEGIN; SET LOCAL nexus.staging_retention = 'on'; DELETE FROM staging.sync_inbound WHERE received_at < now() + interval '1 day'; COMMIT`);
  const left = await t.query<{ n: number }>('admin', 'SELECT count(*)::int AS n FROM staging.sync_inbound');
  assert.equal(left[0]!.n, 0);
});

test('a rejected op must carry its reason, an applied one must not', async () => {
  const sql = `INSERT INTO staging.sync_inbound (request_id, device_id, seq, status, error_code, raw) VALUES (gen_random_uuid(), gen_random_uuid(), 1, $1, $2, '{}')`;
  await assert.rejects(t.query('nexus_sync', sql, ['rejected', null]), { code: '23514' });
  await assert.rejects(t.query('nexus_sync', sql, ['applied', 'x']), { code: '23514' });
  await t.query('nexus_sync', sql, ['rejected', 'payload_hash_mismatch']);
});
