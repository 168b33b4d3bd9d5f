// A streaming replica follows the primary, and health reports its lag: ok
// while it keeps up, warn once its replay falls a WAL segment behind.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import pg from 'pg';
import { archivingCluster } from '../backup/archiving-cluster.ts';
import { createReplica } from '../../src/backup/replica.ts';
import { replicationLag } from '../../src/health/checks/archiver.ts';
import { checkContext } from '../../src/health/monitor.ts';
import type { CheckResult } from '../../src/health/types.ts';

const primary = await archivingCluster('replica');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const lag = async () => (await replicationLag(checkContext(primary.settings, primary.db, {}))) as CheckResult;

test('a replica follows the primary and health reports its lag', async (t) => {
  const { cluster, port } = await createReplica(primary.db, { dir: path.join(primary.paths.root, 'replica'), pgOsUser: primary.settings.pgOsUser, durable: false, name: 'clarity_replica' });
  const replica = new pg.Client({ ...primary.db.clientConfig('admin'), port });
  replica.on('error', () => undefined);
  t.after(async () => {
    await replica.end().catch(() => undefined);
    await cluster.stop();
  });
  await replica.connect();
  assert.deepEqual((await replica.query('SELECT pg_is_in_recovery() AS r')).rows, [{ r: true }]);
  await primary.query('CREATE TABLE nexus.t_rep (id int PRIMARY KEY, pad text)');
  await primary.query('INSERT INTO nexus.t_rep VALUES (1, $1)', ['first']);
  let seen: unknown[] = [];
  for (let i = 0; i < 100 && seen.length === 0; i++) {
    await sleep(100);
    seen = (await replica.query("SELECT id FROM nexus.t_rep WHERE pad = 'first'").catch(() => ({ rows: [] }))).rows;
  }
  assert.deepEqual(seen, [{ id: 1 }]);
  const ok = await lag();
  assert.equal(ok.status, 'ok', ok.message);
  assert.match(ok.message, /^1 replica\(s\); .*clarity_replica .*state streaming/);

  // Replay paused: the replica receives WAL but falls behind applying it.
  await replica.query('SELECT pg_wal_replay_pause()');
  await primary.query("INSERT INTO nexus.t_rep SELECT g, repeat('x', 1000) FROM generate_series(2, 40000) g");
  let behind: CheckResult | undefined;
  for (let i = 0; i < 100 && behind?.status !== 'warn'; i++) {
    await sleep(100);
    behind = await lag();
  }
  assert.equal(behind!.status, 'warn', behind!.message);
  assert.ok(behind!.value! > 16 * 2 ** 20);
  await replica.query('SELECT pg_wal_replay_resume()');
  let back: CheckResult | undefined;
  for (let i = 0; i < 100 && back?.status !== 'ok'; i++) {
    await sleep(100);
    back = await lag();
  }
  assert.equal(back!.status, 'ok', back!.message);
  let n = 0;
  for (let i = 0; i < 100 && n !== 40000; i++) {
    n = (await replica.query<{ n: number }>('SELECT count(*)::int AS n FROM nexus.t_rep')).rows[0]!.n;
    if (n !== 40000) await sleep(100);
  }
  assert.equal(n, 40000);
});
