// Base backup + WAL archive + point-in-time drill against a real archiving
// cluster, and the archive command's rules for files that already exist.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, writeFileSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { archivingCluster } from './archiving-cluster.ts';
import { runBaseBackup, listBaseBackups } from '../../src/backup/basebackup.ts';
import { runDrill } from '../../src/backup/drill.ts';
import { archiveWal } from '../../src/backup/wal.ts';
import { scratch } from './helpers.ts';

const ac = await archivingCluster('pitr');

test('archive-wal: durable copy; the same bytes again is success; different bytes are refused', async () => {
  const dir = path.join(scratch('aw'), 'wal');
  const src = path.join(path.dirname(dir), 'seg');
  writeFileSync(src, Buffer.alloc(4096, 7));
  assert.equal(await archiveWal(src, '000000010000000000000009', dir), 'archived');
  assert.deepEqual(readFileSync(path.join(dir, '000000010000000000000009')), Buffer.alloc(4096, 7));
  assert.equal(await archiveWal(src, '000000010000000000000009', dir), 'already_archived');
  writeFileSync(src, Buffer.alloc(4096, 8));
  await assert.rejects(archiveWal(src, '000000010000000000000009', dir), { code: 'wal_conflict' });
  assert.deepEqual(readFileSync(path.join(dir, '000000010000000000000009')), Buffer.alloc(4096, 7));
  await assert.rejects(archiveWal(src, '../../etc/passwd', dir), { code: 'invalid_wal_name' });
  assert.deepEqual(readdirSync(dir), ['000000010000000000000009']); // no temp files left
});

test('the server archives through `nexus backup archive-wal`', async () => {
  const seg = (await ac.query<{ seg: string }>('SELECT pg_walfile_name(pg_current_wal_insert_lsn()) AS seg'))[0]!.seg;
  await ac.query('CREATE TABLE IF NOT EXISTS nexus.t_pitr (id serial PRIMARY KEY, note text)');
  await ac.query('SELECT pg_switch_wal()');
  const end = Date.now() + 30_000;
  while (!existsSync(path.join(ac.paths.wal, seg!)) && Date.now() < end) await new Promise((r) => setTimeout(r, 200));
  assert.ok(existsSync(path.join(ac.paths.wal, seg!)), `segment ${seg} archived`);
  const [st] = await ac.query<{ failed_count: string }>('SELECT failed_count FROM pg_stat_archiver');
  assert.equal(Number(st!.failed_count), 0);
});

test('a base backup is verified and the drill restores to the requested moment', async () => {
  const base = await runBaseBackup(ac.db, { dir: ac.paths.base });
  const [meta] = listBaseBackups(ac.paths.base);
  assert.equal(meta!.dir, base.artefact);
  assert.match(meta!.meta.startWal, /^[0-9A-F]{24}$/);
  assert.ok(existsSync(path.join(base.artefact, 'backup_manifest')));
  await ac.query("INSERT INTO nexus.t_pitr (note) SELECT 'after the base backup ' || g FROM generate_series(1, 500) g");
  const drill = await runDrill(ac.db, { paths: ac.paths, pgOsUser: ac.settings.pgOsUser });
  const d = drill.detail as { beforePresent: boolean; afterAbsent: boolean; target: string };
  assert.equal(d.beforePresent, true);
  assert.equal(d.afterAbsent, true);
  const runs = await ac.query<{ kind: string; status: string }>('SELECT kind, status FROM nexus.backup_run ORDER BY run_id');
  assert.deepEqual(runs, [
    { kind: 'base', status: 'ok' },
    { kind: 'drill', status: 'ok' },
  ]);
  assert.deepEqual(readdirSync(ac.paths.root).filter((n) => n.startsWith('.drill')), []); // temporary cluster removed
});
