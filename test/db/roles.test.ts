// Role boundaries of DESIGN.md §3, proven against the real server: each role
// can do what its service needs and is refused everything else.

import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { testDatabase, type TestDb } from '../helpers/db.ts';
import { ROLE_NAMES, type RoleName } from '../../src/db/roles.ts';

const t: TestDb = await testDatabase();
before(async () => {
  await t.query('nexus_owner', `INSERT INTO warehouse.dim_calendar VALUES (20261126, '2026-11-26', 2026, 4, 11, 'November', 26, 2026, 48, 4, 'Thursday', '2026-11-23', '2026-11-01', false)`);
  await t.query('nexus_owner', `CREATE TABLE mart_ops.later_table (x int)`); // created after the grants: default privileges apply
  await t.query('nexus_owner', `INSERT INTO mart_ops.later_table VALUES (1)`);
});

const syncRow = `INSERT INTO staging.sync_inbound (request_id, device_id, seq, op_id, status, raw)
  VALUES (gen_random_uuid(), gen_random_uuid(), 1, 'op', 'applied', '{}'::jsonb)`;

async function denied(role: RoleName, sql: string): Promise<void> {
  // clarity_reader's sessions are read-only by default; look past that to the privileges themselves.
  const stmt = role === 'clarity_reader' && !sql.startsWith('BEGIN') ? `BEGIN READ WRITE; ${sql}; COMMIT` : sql;
  await assert.rejects(t.query(role, stmt), (err: { code?: string }) => {
    assert.equal(err.code, '42501', `${role}: expected permission denied for: ${sql}`);
    return true;
  });
}

async function allowed(role: RoleName, sql: string): Promise<void> {
  await t.query(role, sql);
}

test('clarity_reader reads the marts and nothing else, and writes nothing', async () => {
  const rows = await t.query('clarity_reader', 'SELECT x FROM mart_ops.later_table');
  assert.deepEqual(rows, [{ x: 1 }]);
  await denied('clarity_reader', 'SELECT * FROM staging.sync_inbound');
  await denied('clarity_reader', 'SELECT * FROM warehouse.dim_calendar');
  await denied('clarity_reader', 'SELECT * FROM nexus.schema_migrations');
  // read-only transactions by default, and no write privilege behind that either
  await assert.rejects(t.query('clarity_reader', 'INSERT INTO mart_ops.later_table VALUES (2)'), { code: '25006' });
  await denied('clarity_reader', 'BEGIN READ WRITE; INSERT INTO mart_ops.later_table VALUES (2); COMMIT');
  await denied('clarity_reader', 'CREATE TEMP TABLE scratch (x int)');
});

test('nexus_sync appends to staging.sync_inbound and reads mart_field, not the warehouse', async () => {
  await allowed('nexus_sync', syncRow);
  const rows = await t.query('nexus_sync', 'SELECT count(*)::int AS n FROM staging.sync_inbound');
  assert.equal(rows[0]!.n, 1);
  await t.query('nexus_owner', 'CREATE TABLE mart_field.changes_probe (x int)');
  await allowed('nexus_sync', 'SELECT * FROM mart_field.changes_probe');
  await denied('nexus_sync', 'SELECT * FROM warehouse.dim_calendar');
  await denied('nexus_sync', 'SELECT * FROM staging.crawl_raw');
  await denied('nexus_sync', `INSERT INTO staging.import_raw (source, import_id, file_sha256, line_number, raw) VALUES ('x', gen_random_uuid(), repeat('a', 64), 1, '{}')`);
  await denied('nexus_sync', 'UPDATE staging.sync_inbound SET source = source');
  await denied('nexus_sync', 'DELETE FROM staging.sync_inbound');
  await denied('nexus_sync', 'INSERT INTO mart_field.changes_probe VALUES (1)');
});

test('nexus_etl reads staging and writes warehouse and marts, but cannot write staging', async () => {
  await allowed('nexus_etl', 'SELECT * FROM staging.sync_inbound');
  await allowed('nexus_etl', `INSERT INTO warehouse.dim_source (source_key, source_name, source_kind, valid_from, is_current, change_hash) VALUES (1, 'field', 'field', now(), true, 'h')`);
  await allowed('nexus_etl', 'INSERT INTO mart_ops.later_table VALUES (3)');
  await denied('nexus_etl', syncRow);
  await denied('nexus_etl', 'UPDATE staging.sync_inbound SET source = source');
  await denied('nexus_etl', 'DELETE FROM staging.sync_inbound');
});

test('crawl and import each append only to their own staging table', async () => {
  await allowed('nexus_crawl', `INSERT INTO staging.crawl_raw (source, url, http_status, fetched_at, body_sha256, body) VALUES ('s', 'https://x', 200, now(), repeat('b', 64), '\\x00')`);
  await allowed('nexus_import', `INSERT INTO staging.import_raw (source, import_id, file_sha256, line_number, raw) VALUES ('s', gen_random_uuid(), repeat('c', 64), 1, '{}')`);
  await denied('nexus_crawl', syncRow);
  await denied('nexus_import', syncRow);
  await denied('nexus_crawl', 'SELECT * FROM warehouse.dim_calendar');
  await denied('nexus_import', 'SELECT * FROM warehouse.dim_calendar');
});

test('nexus_backup reads everything and writes nothing; nexus_health monitors', async () => {
  await allowed('nexus_backup', 'SELECT * FROM staging.sync_inbound');
  await allowed('nexus_backup', 'SELECT * FROM warehouse.dim_calendar');
  await denied('nexus_backup', syncRow);
  await denied('nexus_backup', 'DELETE FROM warehouse.dim_calendar');
  const rows = await t.query<{ n: number }>('nexus_health', 'SELECT count(*)::int AS n FROM pg_stat_activity WHERE query IS NOT NULL');
  assert.ok(rows[0]!.n >= 1, 'pg_monitor shows other sessions');
  await denied('nexus_health', 'SELECT * FROM staging.sync_inbound');
});

test('no role but the owner can create or alter anything', async () => {
  for (const role of ROLE_NAMES.filter((r) => r !== 'nexus_owner')) {
    for (const schema of ['staging', 'warehouse', 'mart_ops', 'mart_analytics', 'mart_field', 'nexus', 'public']) {
      await denied(role, `CREATE TABLE ${schema}.intruder (x int)`);
    }
    await denied(role, 'ALTER TABLE staging.sync_inbound ADD COLUMN intruder int');
    await denied(role, 'DROP TABLE warehouse.dim_calendar');
    await denied(role, 'CREATE SCHEMA intruder');
  }
  await allowed('nexus_owner', 'CREATE TABLE warehouse.owner_may (x int)');
});

test('every service role can log in with its own credentials', async () => {
  for (const role of ROLE_NAMES) {
    const rows = await t.query(role, 'SELECT current_user AS u');
    assert.equal(rows[0]!.u, role);
  }
});
