// The engine: incremental refresh through clarity_reader (deltas, deletes,
// schema changes), the read-only guard, typed parameters, extra sources.

import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { testDatabase } from '../helpers/db.ts';
import { settle } from '../helpers/etl.ts';
import { device, land, patient, session } from '../helpers/field-data.ts';
import { landFieldHistory } from './fixtures.ts';
import { Engine } from '../../src/clarity/engine.ts';
import { clarityPaths } from '../../src/clarity/paths.ts';
import { refreshMarts, refreshPgSource } from '../../src/clarity/refresh.ts';
import { runQuery } from '../../src/clarity/query.ts';
import { JsonStore } from '../../src/clarity/store.ts';
import { addSource } from '../../src/clarity/sources.ts';

const t = await testDatabase();
const home = mkdtempSync(path.join(os.tmpdir(), 'clarity-engine-'));
const engine = await Engine.open(clarityPaths(home));
after(() => {
  engine.close();
  rmSync(home, { recursive: true, force: true });
});

const count = async (table: string): Promise<number> =>
  Number((await runQuery(engine, { sql: `SELECT count(*) AS n FROM ${table}` })).rows[0]![0]);

test('the first refresh copies every mart; the next copies only the delta; deletes reload the table', async () => {
  await landFieldHistory(t);
  const first = await refreshMarts(engine, t.db);
  const byName = new Map(first.tables.map((r) => [`${r.schema}.${r.table}`, r]));
  assert.equal(byName.get('mart_analytics.sessions')!.mode, 'full');
  assert.equal(byName.get('mart_analytics.sessions')!.rows, 96);
  assert.ok(byName.has('mart_ops.etl_lag') && byName.has('mart_ops.backup_status'), 'views too');
  assert.ok(first.dataAsOf, 'data freshness from the marts build');
  assert.equal(await count('mart_analytics.sessions'), 96);

  const again = await refreshMarts(engine, t.db);
  assert.equal(again.tables.find((r) => r.table === 'sessions')!.mode, 'unchanged');

  // A delta: 5 new sessions and an edit of an existing one.
  const dev = device(['north']);
  const p = patient();
  await land(t, dev, [p, ...Array.from({ length: 5 }, () => session(p.patient_id))]);
  await settle(t);
  const delta = await refreshMarts(engine, t.db);
  const s = delta.tables.find((r) => r.table === 'sessions')!;
  assert.equal(s.mode, 'incremental');
  assert.equal(s.copied, 5);
  assert.equal(await count('mart_analytics.sessions'), 101);
  const [pg] = await t.query<{ n: number }>('admin', 'SELECT count(*)::int AS n FROM mart_analytics.sessions_daily');
  assert.equal(await count('mart_analytics.sessions_daily'), pg!.n);

  // Rows deleted upstream (a full refresh of one mart that rebuilds fewer rows): counts disagree, the table is reloaded.
  await t.query('admin', `DELETE FROM mart_ops.quarantine`);
  const reload = await refreshMarts(engine, t.db);
  assert.equal(reload.tables.find((r) => r.table === 'quarantine')!.mode, 'full');
  assert.equal(await count('mart_ops.quarantine'), 0);

  // Types survive the trip: arrays, uuids, dates, JSON.
  const r = await runQuery(engine, { sql: `SELECT typeof(groups) AS g, typeof(session_id) AS u, typeof(session_date) AS d, typeof(pulse_bpm) AS n FROM mart_analytics.sessions LIMIT 1` });
  assert.deepEqual(r.rows[0], ['VARCHAR[]', 'UUID', 'DATE', 'DOUBLE']);
});

test('the guard refuses everything but one read statement', async () => {
  for (const sql of ['DELETE FROM mart_analytics.sessions', 'UPDATE mart_ops.device_status SET push_count = 0', 'DROP TABLE mart_ops.quarantine',
    'CREATE TABLE x AS SELECT 1', 'INSERT INTO mart_ops.quarantine SELECT * FROM mart_ops.quarantine', "ATTACH 'x.db'", 'INSTALL httpfs', "SET memory_limit = '1TB'",
    'SELECT 1; SELECT 2', "COPY (SELECT 1) TO 'out.csv'", 'CHECKPOINT', 'PRAGMA enable_profiling', '-- note\nDELETE FROM mart_ops.conflicts']) {
    await assert.rejects(runQuery(engine, { sql }), (err: { code?: string }) => {
      assert.equal(err.code, 'clarity_read_only', sql);
      return true;
    });
  }
  // Reads outside Clarity's folders are refused by the engine itself.
  await assert.rejects(runQuery(engine, { sql: `SELECT * FROM read_csv('/etc/passwd')` }), { code: 'clarity_sql_invalid' });
  await assert.rejects(runQuery(engine, { sql: `SELECT * FROM read_text('${t.settings.home}/secrets.json')` }), { code: 'clarity_sql_invalid' });
  await assert.rejects(runQuery(engine, { sql: 'SELEC 1' }), { code: 'clarity_sql_invalid' });
  const ok = await runQuery(engine, { sql: 'WITH x AS (SELECT 41 AS a) SELECT a + 1 AS b FROM x' });
  assert.deepEqual(ok.rows, [[42]]);
  assert.equal((await runQuery(engine, { sql: 'EXPLAIN SELECT 1' })).columns.length, 2);
});

test('typed parameters are checked and bound, never spliced', async () => {
  const sql = 'SELECT count(*) AS n FROM mart_analytics.sessions WHERE session_date >= $since AND ($type IS NULL OR session_type = $type) AND duration_minutes >= $min';
  const params = [{ name: 'since', type: 'date' as const }, { name: 'type', type: 'text' as const }, { name: 'min', type: 'number' as const, default: '0' }];
  const r = await runQuery(engine, { sql, params, values: { since: '2026-11-20' } });
  const [pg] = await t.query<{ n: string }>('admin', `SELECT count(*) AS n FROM mart_analytics.sessions WHERE session_date >= '2026-11-20'`);
  assert.equal(r.rows[0]![0], pg!.n);
  const injected = await runQuery(engine, { sql, params, values: { since: '2026-11-01', type: "x' OR 1=1 --" } });
  assert.equal(injected.rows[0]![0], '0');
  await assert.rejects(runQuery(engine, { sql, params, values: { since: '2026-02-30' } }), { code: 'clarity_param_invalid' });
  await assert.rejects(runQuery(engine, { sql, params, values: { since: '2026-11-01', min: 'ten' } }), { code: 'clarity_param_invalid' });
});

test('extra sources: a CSV file, a Parquet file and another PostgreSQL database', async () => {
  const store = new JsonStore(engine.paths.state);
  writeFileSync(path.join(engine.paths.sources, 'sites.csv'), 'site,region\nnorth,N\nsouth,S\nclinic,C\n');
  assert.equal(await addSource(engine, store, { name: 'sites', kind: 'csv', file: 'sites.csv' }), 3);
  const joined = await runQuery(engine, { sql: `SELECT f.region, count(*) AS n FROM mart_analytics.patients p JOIN files.sites f USING (site) GROUP BY 1 ORDER BY 1` });
  const sites = await t.query<{ site: string }>('admin', 'SELECT DISTINCT site FROM mart_analytics.patients ORDER BY 1');
  assert.deepEqual(joined.rows.map((r) => r[0]), sites.map((s) => ({ clinic: 'C', north: 'N', south: 'S' })[s.site]));
  await assert.rejects(addSource(engine, store, { name: 'escape', kind: 'csv', file: '../../secrets.json' }), { code: 'clarity_source_invalid' });

  // Parquet written by DuckDB into the sources folder, then added.
  await engine.with((c) => c.run(`COPY (SELECT range AS i FROM range(10)) TO '${engine.paths.sources}/ten.parquet' (FORMAT parquet)`));
  assert.equal(await addSource(engine, store, { name: 'ten', kind: 'parquet', file: 'ten.parquet' }), 10);

  // "Another" PostgreSQL database: the test database itself, through clarity_reader.
  const r = await refreshPgSource(engine, 'other', t.db.url('clarity_reader'), ['mart_ops']);
  assert.ok(r.tables.some((x) => x.schema === 'other_mart_ops' && x.table === 'device_status'));
  assert.equal(await count('other_mart_ops.device_status'), 4);
});
