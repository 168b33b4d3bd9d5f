// Clarity reads PostgreSQL only as clarity_reader: that connection reads the
// marts, cannot write them (not even in a read-write transaction), and
// cannot read staging, the warehouse or the platform's own tables.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { testDatabase } from '../helpers/db.ts';
import { landFieldHistory } from './fixtures.ts';
import { MART_SCHEMAS } from '../../src/clarity/refresh.ts';
import { listRelations } from '../../src/clarity/pgcopy.ts';

const t = await testDatabase();

test("Clarity's connection reads the marts and nothing else, and writes nothing", async () => {
  await landFieldHistory(t);
  const c = await t.db.connect('clarity_reader');
  try {
    const rels = await listRelations(c, [...MART_SCHEMAS, 'staging', 'warehouse', 'nexus', 'mart_field', 'public']);
    const schemas = new Set(rels.map((r) => r.schema));
    assert.ok(schemas.has('mart_ops') && schemas.has('mart_analytics'));
    for (const s of ['staging', 'warehouse', 'nexus', 'public']) assert.ok(!schemas.has(s), `nothing of ${s} is readable`);
    for (const sql of ['SELECT * FROM staging.sync_inbound', 'SELECT * FROM warehouse.dim_entity', 'SELECT * FROM nexus.backup_run', 'SELECT * FROM nexus.etl_runs', 'SELECT * FROM nexus.parameters']) {
      await assert.rejects(c.query(sql), { code: '42501' }, sql);
    }
    // Default transactions are read-only; an explicit read-write one still lacks the privilege.
    await assert.rejects(c.query('DELETE FROM mart_analytics.sessions'), { code: '25006' });
    for (const sql of ['DELETE FROM mart_analytics.sessions', 'UPDATE mart_ops.device_status SET push_count = 0', 'INSERT INTO mart_ops.conflicts SELECT * FROM mart_ops.conflicts',
      'TRUNCATE mart_analytics.patients', 'CREATE TABLE mart_ops.x (i int)', 'CREATE TEMP TABLE x (i int)']) {
      await c.query('BEGIN READ WRITE');
      await assert.rejects(c.query(sql), { code: '42501' }, sql);
      await c.query('ROLLBACK');
    }
    const [{ n }] = (await c.query<{ n: string }>('SELECT count(*) AS n FROM mart_analytics.sessions')).rows as [{ n: string }];
    assert.equal(n, '96');
    // The status views summarise platform tables the role cannot read itself.
    assert.ok((await c.query('SELECT * FROM mart_ops.etl_lag')).rows.length > 0);
  } finally {
    await c.end();
  }
});
