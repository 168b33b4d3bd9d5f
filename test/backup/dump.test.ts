// Dump → verify → restore test with the real pg_dump/pg_restore against the
// run's cluster; corruption and truncation are caught by verify.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, openSync, readFileSync, statSync, truncateSync, writeSync, closeSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { testDatabase } from '../helpers/db.ts';
import { runDump } from '../../src/backup/dump.ts';
import { restoreTest, restoreInto } from '../../src/backup/restore.ts';
import { pgRestoreFor, verifyDumpFile } from '../../src/backup/verify.ts';
import { findTool } from '../../src/backup/tools.ts';
import { manifestPathFor, readManifest } from '../../src/backup/manifest.ts';
import { quoteIdent } from '../../src/db/ident.ts';
import { probeTable, scratch } from './helpers.ts';

const t = await testDatabase();
await probeTable(t, 1500);
const dir = path.join(scratch('dump'), 'dumps');

test('a dump has a manifest whose sha256, size and row counts describe it, and the run is recorded', async () => {
  const r = await runDump(t.db, { dir });
  assert.ok(existsSync(r.artefact));
  const m = readManifest(r.artefact)!;
  assert.equal(m.sizeBytes, statSync(r.artefact).size);
  assert.match(m.sha256, /^[0-9a-f]{64}$/);
  assert.equal(m.rowCounts['nexus.t_probe'], 1500);
  assert.equal(m.rowCounts['nexus.schema_migrations']! > 0, true);
  assert.equal(readFileSync(r.artefact).subarray(0, 5).toString(), 'PGDMP'); // custom format
  const runs = await t.query('nexus_etl', 'SELECT kind, status, artefact, sha256 FROM nexus.backup_run');
  assert.deepEqual(runs, [{ kind: 'dump', status: 'ok', artefact: r.artefact, sha256: m.sha256 }]);
});

test('the restore test restores into a temporary database, matches the manifest, and drops it', async () => {
  const r = await restoreTest(t.db, { dir });
  assert.equal((r.detail as { rows: number }).rows >= 1500, true);
  const left = await t.query('admin', "SELECT datname FROM pg_database WHERE datname LIKE 'nexus_restore_test_%'");
  assert.deepEqual(left, []);
  const runs = await t.query('nexus_health', "SELECT status FROM nexus.backup_run WHERE kind = 'restore_test'");
  assert.deepEqual(runs, [{ status: 'ok' }]);
});

test('the restore test fails when the restored rows differ from the manifest', async () => {
  const work = path.join(scratch('mismatch'), 'dumps');
  const r = await runDump(t.db, { dir: work });
  const mf = manifestPathFor(r.artefact);
  const m = JSON.parse(readFileSync(mf, 'utf8'));
  m.rowCounts['nexus.t_probe'] = 1499; // the dump's bytes are intact (sha256 still matches), the manifest disagrees
  writeFileSync(mf, JSON.stringify(m));
  await assert.rejects(restoreTest(t.db, { dir: work }), (e: Error & { code?: string }) => e.code === 'restore_mismatch' && /nexus\.t_probe: 1500 rows, manifest says 1499/.test(e.message));
  const left = await t.query('admin', "SELECT datname FROM pg_database WHERE datname LIKE 'nexus_restore_test_%'");
  assert.deepEqual(left, []);
  await t.query('admin', "DELETE FROM nexus.backup_run WHERE run_id = ANY($1)", [[r.runId]]);
  await t.query('admin', "DELETE FROM nexus.backup_run WHERE kind = 'restore_test' AND status = 'failed'");
  await t.query('admin', 'DELETE FROM nexus.alert_event');
});

test('restore into a new database keeps every row', async () => {
  const dump = (await t.query<{ artefact: string }>('nexus_backup', "SELECT artefact FROM nexus.backup_run WHERE kind = 'dump'"))[0]!.artefact;
  const into = `${t.name}_restored`;
  try {
    const r = await restoreInto(t.db, dump, into);
    assert.deepEqual(r.mismatches, []);
    const c = await t.db.connect('admin', into);
    const { rows } = await c.query('SELECT count(*)::int AS n, max(id) AS m FROM nexus.t_probe');
    await c.end();
    assert.deepEqual(rows, [{ n: 1500, m: 1500 }]);
    await assert.rejects(restoreInto(t.db, dump, into), { code: 'database_exists' });
  } finally {
    await t.query('admin', `DROP DATABASE IF EXISTS ${quoteIdent(into)} WITH (FORCE)`).catch(() => undefined);
  }
});

test('verify detects a truncated dump and a corrupted byte', async () => {
  const exe = await pgRestoreFor(t.db);
  const good = (await t.query<{ artefact: string }>('nexus_backup', "SELECT artefact FROM nexus.backup_run WHERE kind = 'dump'"))[0]!.artefact;
  assert.equal((await verifyDumpFile(good, exe)).ok, true);
  const work = scratch('verify');
  const copy = (name: string) => {
    const f = path.join(work, name);
    copyFileSync(good, f);
    copyFileSync(manifestPathFor(good), manifestPathFor(f));
    return f;
  };
  const truncated = copy('truncated.dump');
  truncateSync(truncated, Math.floor(statSync(truncated).size / 2));
  const v1 = await verifyDumpFile(truncated, exe);
  assert.equal(v1.ok, false);
  assert.match(v1.problems.join(' '), /truncated/);
  const flipped = copy('flipped.dump');
  const buf = readFileSync(flipped);
  const at = Math.floor(buf.length * 0.7);
  const fd = openSync(flipped, 'r+');
  writeSync(fd, Buffer.from([buf[at]! ^ 0xff]), 0, 1, at);
  closeSync(fd);
  const v2 = await verifyDumpFile(flipped, exe);
  assert.equal(v2.ok, false);
  assert.match(v2.problems.join(' '), /sha256 .* \(corrupted\)/);
  const garbage = path.join(work, 'garbage.dump');
  writeFileSync(garbage, 'not a dump');
  const v3 = await verifyDumpFile(garbage, exe);
  assert.deepEqual(v3.problems.length, 2); // no manifest, and pg_restore cannot read it
});

test('a failing dump is recorded as failed with an alert event', async () => {
  const blocker = path.join(scratch('fail'), 'file');
  writeFileSync(blocker, 'a file where the dump folder should be');
  await assert.rejects(runDump(t.db, { dir: blocker }));
  const runs = await t.query('nexus_health', "SELECT status, error IS NOT NULL AS has_error FROM nexus.backup_run WHERE kind = 'dump' ORDER BY run_id");
  assert.deepEqual(runs.at(-1), { status: 'failed', has_error: true });
  const alerts = await t.query('nexus_health', 'SELECT source, subject, severity FROM nexus.alert_event');
  assert.deepEqual(alerts, [{ source: 'backup', subject: 'backup dump', severity: 'fail' }]);
});

test('missing client tools name the package to install', () => {
  assert.throws(() => findTool('pg_dump', 99), (e: Error & { code?: string }) => e.code === 'pg_tool_missing' && /apt-get install postgresql-client-99/.test(e.message));
  assert.throws(() => findTool('pg_verifybackup', 99), /apt-get install postgresql-99 /);
});
