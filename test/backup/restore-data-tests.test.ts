// The weekly restore test also runs the schema's data tests (src/etl/tests)
// on the restored copy: a warehouse whose rows all come back but that breaks
// its own invariants fails the restore test, and the failure is recorded
// with the failing tests and alerted.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { testDatabase } from '../helpers/db.ts';
import { settle } from '../helpers/etl.ts';
import { device, land, patient, session } from '../helpers/field-data.ts';
import { runDump } from '../../src/backup/dump.ts';
import { restoreTest } from '../../src/backup/restore.ts';
import { wholeDatabaseSql } from '../../src/backup/data-tests.ts';
import { loadDataTests } from '../../src/etl/models.ts';
import { scratch } from './helpers.ts';

const t = await testDatabase();
const dev = device();
const pid = crypto.randomUUID();
const sid = crypto.randomUUID();
await land(t, dev, [patient(pid), session(pid, sid), session(pid)]);
await land(t, dev, [session(pid, sid, { status: 'cancelled' })]); // a second version: one current row, one old
await settle(t);

test('every data test of the schema can be widened from "this run" to the whole database', () => {
  const tests = loadDataTests();
  assert.ok(tests.length >= 10);
  for (const dt of tests) assert.ok(wholeDatabaseSql(dt.sql), `${dt.name} can run on a restored copy`);
  assert.equal(wholeDatabaseSql('SELECT 1 WHERE true;'), 'SELECT 1 WHERE true');
  assert.equal(wholeDatabaseSql('SELECT x FROM warehouse.t f WHERE f.loaded_txid = pg_current_xact_id()'), 'SELECT x FROM warehouse.t f WHERE true');
  // Scoped some other way: reported as unscoped, never run as if it had looked.
  assert.equal(wholeDatabaseSql('SELECT x FROM t WHERE created_txid >= pg_current_xact_id()'), undefined);
});

test('a restored copy that keeps its invariants passes the data tests', async () => {
  const dir = path.join(scratch('rdt-ok'), 'dumps');
  await runDump(t.db, { dir });
  const r = await restoreTest(t.db, { dir });
  const dt = (r.detail as { dataTests: { run: number; failed: unknown[]; unscoped: string[] } }).dataTests;
  assert.equal(dt.run, loadDataTests().length);
  assert.deepEqual(dt.failed, []);
  assert.deepEqual(dt.unscoped, []);
  const [run] = await t.query('nexus_health', "SELECT status, detail->'dataTests'->>'run' AS run FROM nexus.backup_run WHERE run_id = $1", [r.runId]);
  assert.deepEqual(run, { status: 'ok', run: String(loadDataTests().length) });
});

test('a restored copy with a broken invariant fails the restore test; the run and an alert say which test', async () => {
  // A session without a current version: the ETL never leaves this (fct_transactions_current).
  // (Two current versions cannot even be written: a unique index forbids them.)
  const changed = await t.query('admin', 'UPDATE warehouse.fact_transactions SET is_current = false WHERE session_id = $1 RETURNING version', [sid]);
  assert.equal(changed.length, 2);
  const dir = path.join(scratch('rdt-broken'), 'dumps');
  await runDump(t.db, { dir });
  await assert.rejects(
    restoreTest(t.db, { dir }),
    (e: Error & { code?: string }) => e.code === 'restore_data_tests_failed' && /fct_transactions_current: 1 failing row/.test(e.message),
  );
  const [run] = await t.query<{ status: string; error: string; detail: { code: string; dataTests: { failed: Array<{ test: string; sample: Array<Record<string, unknown>> }> } } }>(
    'nexus_health',
    "SELECT status, error, detail FROM nexus.backup_run WHERE kind = 'restore_test' ORDER BY run_id DESC LIMIT 1",
  );
  assert.equal(run!.status, 'failed');
  assert.equal(run!.detail.code, 'restore_data_tests_failed');
  const failed = run!.detail.dataTests.failed.map((f) => f.test);
  assert.ok(failed.includes('fct_transactions_current'), failed.join(', '));
  assert.equal(run!.detail.dataTests.failed.find((f) => f.test === 'fct_transactions_current')!.sample[0]!.session_id, sid);
  const alerts = await t.query('nexus_health', "SELECT subject, severity FROM nexus.alert_event WHERE source = 'backup' AND message LIKE '%fct_transactions_current%'");
  assert.deepEqual(alerts, [{ subject: 'backup restore_test', severity: 'fail' }]);
  const left = await t.query('admin', "SELECT datname FROM pg_database WHERE datname LIKE 'nexus_restore_test_%'");
  assert.deepEqual(left, []);
});
