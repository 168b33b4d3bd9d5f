// Retention deletes what is old, but never the only good backup; WAL stays
// while a kept base backup needs it.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, utimesSync, writeFileSync, truncateSync, statSync } from 'node:fs';
import path from 'node:path';
import { testDatabase } from '../helpers/db.ts';
import { runDump } from '../../src/backup/dump.ts';
import { applyDumpRetention, planRetention } from '../../src/backup/retention.ts';
import { applyWalRetention, walToDelete } from '../../src/backup/wal-retention.ts';
import { listDumps, manifestPathFor } from '../../src/backup/manifest.ts';
import { pgRestoreFor } from '../../src/backup/verify.ts';
import { META_FILE } from '../../src/backup/basebackup.ts';
import { scratch } from './helpers.ts';

const t = await testDatabase();
const DAY = 86_400_000;

/** Pretends a dump finished `days` ago (the manifest's time is what retention reads). */
function age(file: string, days: number): void {
  const mf = manifestPathFor(file);
  const m = JSON.parse(readFileSync(mf, 'utf8'));
  m.finishedAt = new Date(Date.now() - days * DAY).toISOString();
  writeFileSync(mf, JSON.stringify(m));
}

test('planRetention drops what is older than the cutoff except the protected item', () => {
  const now = Date.now();
  const items = [3, 8, 10].map((d) => ({ name: `d${d}`, at: new Date(now - d * DAY) }));
  assert.deepEqual(planRetention(items, new Date(now - 7 * DAY), 'd8').map((i) => i.name), ['d10']);
  assert.deepEqual(planRetention(items, new Date(now - 7 * DAY), undefined).map((i) => i.name), ['d8', 'd10']);
});

test('old dumps go, the newest good one stays even when it is old and newer ones are corrupt', async () => {
  const dir = path.join(scratch('ret'), 'dumps');
  const made: string[] = [];
  for (let i = 0; i < 3; i++) {
    made.push((await runDump(t.db, { dir })).artefact);
    await new Promise((r) => setTimeout(r, 1100)); // names carry a one-second stamp
  }
  const [oldest, middle, newest] = made as [string, string, string];
  age(oldest, 12);
  age(middle, 10);
  age(newest, 9);
  truncateSync(newest, statSync(newest).size - 100); // the newest is damaged
  const exe = await pgRestoreFor(t.db);
  const r = await applyDumpRetention(listDumps(dir), 7, exe);
  assert.equal(r.protected, middle);
  assert.deepEqual(listDumps(dir).map((d) => d.dumpFile), [middle]);
  assert.equal(existsSync(manifestPathFor(oldest)), false);
  // Alone and old, it still stays.
  const again = await applyDumpRetention(listDumps(dir), 7, exe);
  assert.deepEqual(again.deleted, []);
  assert.deepEqual(listDumps(dir).map((d) => d.dumpFile), [middle]);
});

test('recent dumps are all kept', async () => {
  const dir = path.join(scratch('ret2'), 'dumps');
  await runDump(t.db, { dir });
  const r = await applyDumpRetention(listDumps(dir), 7, await pgRestoreFor(t.db));
  assert.deepEqual(r.deleted, []);
  assert.equal(listDumps(dir).length, 1);
});

test('WAL older than the window goes only when no kept base backup needs it', () => {
  const root = scratch('walret');
  const base = path.join(root, 'base');
  const wal = path.join(root, 'wal');
  mkdirSync(wal, { recursive: true });
  const old = new Date(Date.now() - 20 * DAY);
  const mkBase = (id: string, days: number, startWal: string) => {
    mkdirSync(path.join(base, id), { recursive: true });
    const meta = { format: 'nexus-base-1', id, startedAt: '', finishedAt: new Date(Date.now() - days * DAY).toISOString(), startWal, serverVersion: '15', sizeBytes: 1 };
    writeFileSync(path.join(base, id, META_FILE), JSON.stringify(meta));
  };
  mkBase('20260101T000000Z', 30, '000000010000000000000003'); // outside the window: goes
  mkBase('20260110T000000Z', 16, '000000010000000000000006'); // also old, but the newest: stays
  const names = ['000000010000000000000002', '000000010000000000000005', '000000010000000000000006', '000000010000000000000007', '00000002.history'];
  for (const n of names) {
    writeFileSync(path.join(wal, n), n);
    utimesSync(path.join(wal, n), old, old);
  }
  const r = applyWalRetention(base, wal, 14);
  assert.deepEqual(r.baseDeleted.map((d) => path.basename(d)), ['20260101T000000Z']);
  assert.equal(existsSync(path.join(base, '20260110T000000Z')), true);
  assert.deepEqual(
    names.filter((n) => existsSync(path.join(wal, n))),
    ['000000010000000000000006', '000000010000000000000007', '00000002.history'],
  );
  // Recent WAL stays whatever the base backups say.
  assert.deepEqual(walToDelete([{ name: '000000010000000000000001', at: new Date() }], new Date(Date.now() - 14 * DAY), undefined), []);
});
