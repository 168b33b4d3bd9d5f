// Each check against the run's real cluster: what it says in the ok case
// and when something is wrong (a long transaction, stale backups, a dead
// endpoint, a missing certificate).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { testDatabase } from '../helpers/db.ts';
import { scratch } from '../backup/helpers.ts';
import { checkContext } from '../../src/health/monitor.ts';
import { runChecks } from '../../src/health/runner.ts';
import { connectionSaturation, databaseReachable, longTransactions } from '../../src/health/checks/database.ts';
import { replicationLag, walArchiver } from '../../src/health/checks/archiver.ts';
import { backupAges } from '../../src/health/checks/backups.ts';
import { daysUntilFull, diskFree } from '../../src/health/checks/disk.ts';
import { tlsExpiry } from '../../src/health/checks/tls.ts';
import { endpointHealth } from '../../src/health/checks/endpoints.ts';
import { ensureTls, loadServerTls } from '../../src/tls/index.ts';
import { createHttpServer } from '../../src/core/http.ts';
import { createLogger } from '../../src/core/log.ts';
import { freePort } from '../../src/db/cluster.ts';
import type { CheckResult } from '../../src/health/types.ts';
import type { Settings } from '../../src/core/settings.ts';

const t = await testDatabase();
const home = scratch('hc');
const settings: Settings = { ...t.settings, home, backupDir: path.join(home, 'nas') };
const ctx = (over: Partial<Settings> = {}, endpoints: Record<string, string> = {}) => checkContext({ ...settings, ...over }, t.db, endpoints);
const one = async (p: Promise<CheckResult | CheckResult[]>) => (await p) as CheckResult;
const byName = (rs: CheckResult[], n: string) => rs.find((r) => r.name === n)!;

test('database, connections, replication and the archiver on a healthy server without archiving', async () => {
  assert.equal((await one(databaseReachable(ctx()))).status, 'ok');
  const conn = await one(connectionSaturation(ctx()));
  assert.equal(conn.status, 'ok');
  assert.match(conn.message, /of \d+ connection slots in use/);
  assert.deepEqual(await one(replicationLag(ctx())), { name: 'replication', status: 'ok', message: 'no replica connected' });
  const wal = await one(walArchiver(ctx()));
  assert.equal(wal.status, 'warn');
  assert.match(wal.message, /archiving is off/);
});

test('a transaction open too long is reported with its role', async () => {
  const c = await t.db.connect('nexus_etl');
  try {
    await c.query('BEGIN');
    await c.query('SELECT txid_current()');
    await new Promise((r) => setTimeout(r, 1500));
    const r = await one(longTransactions(ctx({ longTransactionMinutes: 1 / 60 })));
    assert.equal(r.status, 'warn');
    assert.match(r.message, /nexus_etl pid \d+/);
    assert.equal((await one(longTransactions(ctx()))).status, 'ok');
  } finally {
    await c.query('ROLLBACK');
    await c.end();
  }
});

test('backup ages: none yet on a fresh install warns until the first was due, then fails; fresh is ok, late warns, very late fails', async () => {
  // This database was migrated minutes ago: a fresh install.
  let fresh = byName(await backupAges(ctx()), 'backup_dump');
  assert.equal(fresh.status, 'warn');
  assert.match(fresh.message, /no good dump yet: installed 0\.\d h ago, the first is due by /);
  assert.equal(byName(await backupAges(ctx()), 'backup_restore_test').status, 'warn');
  // 25 h after install the first dump (every 24 h, 2 h slack) is not late yet; at 27 h it is.
  await t.query('admin', "UPDATE nexus.schema_migrations SET applied_at = now() - interval '25 hours'");
  assert.equal(byName(await backupAges(ctx()), 'backup_dump').status, 'warn');
  await t.query('admin', "UPDATE nexus.schema_migrations SET applied_at = now() - interval '27 hours'");
  fresh = byName(await backupAges(ctx()), 'backup_dump');
  assert.equal(fresh.status, 'fail');
  assert.match(fresh.message, /no good dump recorded yet/);
  assert.equal(byName(await backupAges(ctx()), 'backup_restore_test').status, 'warn'); // weekly: due after 7 days + 2 h
  const put = (kind: string, hoursAgo: number) =>
    t.query('nexus_backup', "INSERT INTO nexus.backup_run (kind, status, finished_at) VALUES ($1, 'ok', now() - make_interval(hours => $2))", [kind, hoursAgo]);
  await put('dump', 60);
  assert.equal(byName(await backupAges(ctx()), 'backup_dump').status, 'fail');
  await put('dump', 30);
  await put('restore_test', 1);
  let rs = await backupAges(ctx());
  assert.equal(byName(rs, 'backup_dump').status, 'warn');
  assert.equal(byName(rs, 'backup_restore_test').status, 'ok');
  assert.equal(rs.some((r) => r.name === 'backup_base'), false); // archiving is off: no base backup expected
  await put('dump', 1);
  rs = await backupAges(ctx());
  assert.equal(byName(rs, 'backup_dump').status, 'ok');
});

test('disk free with its trend', async () => {
  const rs = await diskFree(ctx());
  assert.deepEqual(rs.map((r) => r.name), ['disk_home', 'disk_backup']);
  assert.ok(rs[0]!.value! > 0);
  const now = new Date();
  const GiB = 2 ** 30;
  // 10 GiB gone in 12 h with 5 GiB left: full in 6 h.
  assert.equal(daysUntilFull([{ at: new Date(now.getTime() - 12 * 3_600_000), value: 15 * GiB }], now, 5 * GiB)?.toFixed(2), '0.25');
  assert.equal(daysUntilFull([{ at: new Date(now.getTime() - 12 * 3_600_000), value: 5 * GiB }], now, 6 * GiB), undefined);
  assert.equal(daysUntilFull([], now, 5 * GiB), undefined);
});

test('TLS certificate: missing warns, a fresh one is ok', async () => {
  assert.equal((await one(tlsExpiry(ctx()))).status, 'warn');
  await ensureTls(home);
  const r = await one(tlsExpiry(ctx()));
  assert.equal(r.status, 'ok');
  assert.ok(r.value! > 300);
});

test('endpoints: a serving service is ok; one without liveness, or dead, fails; the whole report survives a failing check', async () => {
  await ensureTls(home);
  const live = createHttpServer({ log: createLogger('silent'), tls: loadServerTls(home) });
  const mute = createHttpServer({ log: createLogger('silent'), tls: loadServerTls(home), liveness: false });
  const url = async (app: typeof live) => {
    await app.listen({ host: '127.0.0.1', port: 0 });
    return `https://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  };
  try {
    const rs = await endpointHealth(ctx({}, { guardian: await url(live), sync: await url(mute) }));
    assert.equal(byName(rs, 'endpoint_guardian').status, 'ok');
    assert.match(byName(rs, 'endpoint_guardian').message, /answered 200/);
    assert.equal(byName(rs, 'endpoint_sync').status, 'fail');
    assert.match(byName(rs, 'endpoint_sync').message, /answered 404/);
    const dead = await endpointHealth(ctx({}, { sync: `https://127.0.0.1:${await freePort()}` }));
    assert.equal(byName(dead, 'endpoint_sync').status, 'fail');
    assert.match(byName(dead, 'endpoint_sync').message, /unreachable: .*ECONNREFUSED/);
  } finally {
    await live.close();
    await mute.close();
  }
  const all = await runChecks(ctx(), [
    { name: 'database', run: databaseReachable },
    { name: 'broken', run: async () => { throw new Error('boom'); } },
  ]);
  assert.deepEqual(all.map((r) => [r.name, r.status]), [['database', 'ok'], ['broken', 'fail']]);
  assert.match(all[1]!.message, /boom/);
});
