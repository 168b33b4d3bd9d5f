// The embedded platform as an administrator turns on point-in-time recovery:
// wal-setup, restart, base backup, drill, and health sees archiving work.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import path from 'node:path';
import { nexus } from '../helpers/cli.ts';
import { scratch } from './helpers.ts';

test('nexus backup wal-setup → restart → base → drill on the embedded cluster', async (t) => {
  const dir = scratch('clipitr', false);
  const env = { NEXUS_HOME: path.join(dir, 'home'), NEXUS_PG_DURABLE: 'false' };
  // Stop the cluster before its folder goes (hooks run in the order they were added).
  t.after(async () => {
    await nexus(['db', 'stop'], env);
    rmSync(dir, { recursive: true, force: true });
  });
  const run = async (...args: string[]) => {
    const r = await nexus(args, env);
    assert.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}`);
    return r.stdout;
  };
  await run('db', 'start');
  assert.match(await run('backup', 'wal-setup'), /backup archive-wal --dir .*\/backups\/wal' "%p" "%f"\nRestart PostgreSQL/);
  await run('db', 'stop');
  await run('db', 'start');
  const base = JSON.parse(await run('backup', 'base', '--json'));
  assert.match(base.detail.startWal, /^[0-9A-F]{24}$/);
  const drill = JSON.parse(await run('backup', 'drill', '--json'));
  assert.deepEqual([drill.detail.beforePresent, drill.detail.afterAbsent], [true, true]);
  const list = JSON.parse(await run('backup', 'list', '--json'));
  assert.equal(list.bases.length, 1);
  assert.ok(list.wal.count >= 2);
  const health = JSON.parse((await nexus(['health', 'check', '--json'], env)).stdout) as { checks: Array<{ name: string; status: string }> };
  const status = (n: string) => health.checks.find((c) => c.name === n)?.status;
  assert.deepEqual([status('wal_archiver'), status('backup_base'), status('backup_drill')], ['ok', 'ok', 'ok']);
});
