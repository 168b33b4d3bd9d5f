// The file store backup: files stored through the real upload path are
// copied into <target>/files by `nexus backup files`, incrementally; verify
// finds missing and corrupt copies; a lost store comes back byte-identical
// with `nexus backup restore --files` (also from the offsite mirror); a copy
// that does not hash to its name never gets a final name.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { createHash, randomBytes } from 'node:crypto';
import path from 'node:path';
import { Readable } from 'node:stream';
import { testDatabase, testHome } from '../helpers/db.ts';
import { nexus } from '../helpers/cli.ts';
import { clusterSettingsEnv } from '../helpers/cluster-env.ts';
import { FileStore } from '../../src/sync/files/store.ts';
import { receiveFile } from '../../src/sync/files/receive.ts';
import { backupFiles } from '../../src/backup/files.ts';
import { restoreFiles } from '../../src/backup/files-restore.ts';
import { verifyBackedUpFiles } from '../../src/backup/files-verify.ts';
import { offsiteCopy } from '../../src/backup/offsite.ts';
import { dueTasks } from '../../src/backup/schedule.ts';
import type { LastRun, RunKind } from '../../src/backup/record.ts';
import { backupAges } from '../../src/health/checks/backups.ts';
import { checkContext } from '../../src/health/monitor.ts';
import { scratch } from './helpers.ts';

const t = await testDatabase();
const dir = scratch('bfiles');
const storeDir = path.join(dir, 'store');
const nas = path.join(dir, 'nas');
const store = new FileStore(storeDir, t.db.pool('nexus_sync'));
const env = { ...clusterSettingsEnv(testHome(), t.name), NEXUS_FILES_DIR: storeDir, NEXUS_BACKUP_DIR: nas };
const filesBackup = path.join(nas, 'files');
const policy = { maxBytes: 8 << 20, contentTypes: ['application/pdf', 'image/jpeg'] };

type Stored = { sha: string; bytes: Buffer };
const files: Stored[] = [];

/** Stores bytes exactly as PUT /v1/files/{sha256} does. */
async function upload(bytes: Buffer, contentType = 'application/pdf'): Promise<Stored> {
  const sha = createHash('sha256').update(bytes).digest('hex');
  const r = await receiveFile(store, Readable.from([bytes.subarray(0, 1000), bytes.subarray(1000)]), { sha256: sha, contentType, policy });
  assert.equal(r.outcome, 'created');
  const f = { sha, bytes };
  files.push(f);
  return f;
}
const fanOut = (root: string, sha: string) => path.join(root, sha.slice(0, 2), sha.slice(2, 4), sha);
const backedUp = (f: Stored) => fanOut(path.join(nas, 'files'), f.sha);
const live = (f: Stored) => fanOut(storeDir, f.sha);
const pdf = (n: number) => Buffer.concat([Buffer.from('%PDF-1.7\n'), randomBytes(n)]);
const jpeg = (n: number) => Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), randomBytes(n)]);

function partials(root: string): string[] {
  if (!existsSync(root)) return [];
  return (readdirSync(root, { recursive: true }) as string[]).filter((n) => n.endsWith('.partial'));
}

async function cli(args: string[], code = 0): Promise<{ stdout: string; json: () => any }> {
  const r = await nexus(args, env);
  assert.equal(r.code, code, `nexus ${args.join(' ')}: ${r.stdout}${r.stderr}`);
  return { stdout: r.stdout, json: () => JSON.parse(r.stdout) };
}

test('stored files are backed up once, then only new ones; verify finds missing and corrupt copies, --repair mends them', async () => {
  await upload(pdf(20_000));
  await upload(jpeg(3 << 20), 'image/jpeg');
  await upload(pdf(0));
  const first = (await cli(['backup', 'files', '--json'])).json();
  assert.equal(first.detail.full, true);
  assert.equal(first.detail.copied, 3);
  assert.equal(first.detail.bytesCopied, files.reduce((n, f) => n + f.bytes.length, 0));
  assert.equal(first.sizeBytes, first.detail.bytesCopied);
  for (const f of files) assert.deepEqual(readFileSync(backedUp(f)), f.bytes);
  assert.deepEqual(partials(nas), []);

  // (The CLI costs seconds a call on the loaded test machine: the rest of the runs go through the same function.)
  const second = await backupFiles(t.db, { storeDir, backupDir: filesBackup });
  assert.deepEqual([second.detail.full, second.detail.copied, second.detail.present], [false, 0, 3]);

  // Rows older than the watermark's overlap are not even looked at again; a new one is copied.
  await t.query('admin', "UPDATE nexus.files SET stored_at = stored_at - interval '1 day'");
  const fourth = await upload(pdf(5_000));
  const third = await backupFiles(t.db, { storeDir, backupDir: filesBackup });
  assert.deepEqual([third.detail.listed, third.detail.copied], [1, 1]);
  assert.deepEqual(readFileSync(backedUp(fourth)), fourth.bytes);
  const full = await backupFiles(t.db, { storeDir, backupDir: filesBackup, full: true });
  assert.deepEqual([full.detail.listed, full.detail.copied, full.detail.present], [4, 0, 4]);

  const ok = await verifyBackedUpFiles(t.db, { backupDir: filesBackup, storeDir });
  assert.deepEqual([ok.ok, ok.checked, ok.bytesHashed], [true, 4, first.detail.bytesCopied + fourth.bytes.length]);
  const [a, b] = files as [Stored, Stored];
  const damaged = Buffer.from(a.bytes);
  damaged[100] = damaged[100]! ^ 0xff;
  writeFileSync(backedUp(a), damaged);
  unlinkSync(backedUp(b));
  const bad = await cli(['backup', 'verify', '--files'], 1);
  assert.match(bad.stdout, /^BAD /);
  assert.match(bad.stdout, new RegExp(`^missing: ${b.sha}$`, 'm'));
  assert.match(bad.stdout, new RegExp(`^corrupt: ${a.sha}$`, 'm'));
  // Three of the four: at least one damaged file is among them.
  const sample = await verifyBackedUpFiles(t.db, { backupDir: filesBackup, storeDir, sample: 3 });
  assert.deepEqual([sample.ok, sample.checked], [false, 3]);
  await cli(['backup', 'verify', '--files', '--sample', '0'], 2);
  const alerts = await t.query('nexus_health', "SELECT count(*)::int AS n FROM nexus.alert_event WHERE subject = 'backup files_verify'");
  assert.deepEqual(alerts, [{ n: 2 }]);

  const repair = (await cli(['backup', 'verify', '--files', '--repair', '--json'])).json();
  assert.deepEqual(repair.repaired.sort(), [a.sha, b.sha].sort());
  assert.deepEqual(readFileSync(backedUp(a)), a.bytes);
  assert.deepEqual(readFileSync(backedUp(b)), b.bytes);
  assert.equal((await verifyBackedUpFiles(t.db, { backupDir: filesBackup, storeDir })).ok, true);
});

test('the live store is lost: restore --files brings every file back byte-identical, also from the offsite mirror', async () => {
  rmSync(storeDir, { recursive: true });
  const r = (await cli(['backup', 'restore', '--files', '--json'])).json();
  assert.deepEqual([r.ok, r.referenced, r.present, r.restored], [true, 4, 0, 4]);
  for (const f of files) assert.deepEqual(readFileSync(live(f)), f.bytes);
  assert.deepEqual(partials(storeDir), []);
  const again = await restoreFiles(t.db, { storeDir, backupDir: filesBackup });
  assert.deepEqual([again.present, again.restored], [4, 0]);

  // The offsite mirror carries files/ too, and a restore can come from it.
  const offsite = path.join(dir, 'offsite');
  await offsiteCopy(t.db, nas, offsite);
  for (const f of files) assert.deepEqual(readFileSync(fanOut(path.join(offsite, 'files'), f.sha)), f.bytes);
  rmSync(storeDir, { recursive: true });
  const fromOffsite = (await cli(['backup', 'restore', '--files', '--from', offsite, '--json'])).json();
  assert.equal(fromOffsite.restored, 4);
  for (const f of files) assert.deepEqual(readFileSync(live(f)), f.bytes);
  await cli(['backup', 'restore', '--files', '--from', path.join(dir, 'nowhere')], 2);
});

test('a copy that does not hash to its name is never renamed into place, in either direction', async () => {
  const good = await upload(pdf(4_000));
  const rotten = await upload(pdf(4_000));
  writeFileSync(live(rotten), pdf(4_000).subarray(0, rotten.bytes.length)); // same size, other bytes
  await assert.rejects(backupFiles(t.db, { storeDir, backupDir: filesBackup }), (err: { code?: string; extra?: { damagedSource?: string[] } }) => {
    assert.equal(err.code, 'files_source_damaged');
    assert.deepEqual(err.extra?.damagedSource, [rotten.sha]);
    return true;
  });
  assert.equal(existsSync(backedUp(rotten)), false);
  assert.deepEqual(readFileSync(backedUp(good)), good.bytes, 'the rest is still copied');
  assert.deepEqual(partials(nas), []);
  const [run] = await t.query('nexus_etl', "SELECT status, error FROM nexus.backup_run WHERE kind = 'files' ORDER BY run_id DESC LIMIT 1");
  assert.equal(run?.status, 'failed');

  // The other way: a corrupt backup copy is not restored over a missing live file.
  const [a] = files as [Stored];
  writeFileSync(backedUp(a), Buffer.alloc(a.bytes.length, 1));
  unlinkSync(live(a));
  const r = await restoreFiles(t.db, { storeDir, backupDir: filesBackup });
  assert.deepEqual([r.ok, r.corrupt, r.lost], [false, [a.sha], []]);
  assert.equal(existsSync(live(a)), false);
  assert.deepEqual(partials(storeDir), []);

  // Rot in the live store at the right size is only seen with --rehash, which replaces it from the backup.
  writeFileSync(live(good), Buffer.alloc(good.bytes.length, 2));
  assert.equal((await restoreFiles(t.db, { storeDir, backupDir: filesBackup })).restored, 0);
  const rehashed = (await cli(['backup', 'restore', '--files', '--rehash', '--json'], 1)).json();
  assert.deepEqual([rehashed.damaged, rehashed.restored, rehashed.corrupt, rehashed.lost], [2, 1, [a.sha], [rotten.sha]]);
  assert.deepEqual(readFileSync(live(good)), good.bytes);
  assert.deepEqual(readFileSync(live(rotten)).length, rotten.bytes.length, 'a damaged file without a good copy stays as it is');
});

test('schedule: files are due hourly and after each new dump, their verification weekly; health watches their age', async () => {
  const now = new Date('2026-02-01T12:00:00Z');
  const iv = { dumpHours: 24, baseDays: 7, restoreTestDays: 7 };
  const run = (kind: RunKind, minutesAgo: number): LastRun => {
    const at = new Date(now.getTime() - minutesAgo * 60_000);
    return { kind, status: 'ok', startedAt: at, finishedAt: at, artefact: null };
  };
  const none = new Map<RunKind, LastRun>();
  assert.deepEqual(dueTasks(now, iv, none, none, false, false, true), ['dump', 'files', 'restore_test']);
  const firstFiles = new Map<RunKind, LastRun>([['dump', run('dump', 30)], ['restore_test', run('restore_test', 30)], ['files', run('files', 20)]]);
  assert.deepEqual(dueTasks(now, iv, firstFiles, firstFiles, false, false, true), ['files_verify'], 'weekly re-hash once there is a backup');
  const recent = new Map(firstFiles).set('files_verify', run('files_verify', 10));
  assert.deepEqual(dueTasks(now, iv, recent, recent, false, false, true), []);
  const dumpAfter = new Map(recent).set('dump', run('dump', 5));
  assert.deepEqual(dueTasks(now, iv, dumpAfter, dumpAfter, false, false, true), ['files']);
  const hourAgo = new Map(recent).set('files', run('files', 61));
  assert.deepEqual(dueTasks(now, iv, hourAgo, hourAgo, false, false, true), ['files']);

  const checks = await backupAges(checkContext({ ...t.settings, home: dir, backupDir: nas }, t.db, {}));
  const files = checks.find((c) => c.name === 'backup_files');
  assert.equal(files?.status, 'ok', files?.message);
  assert.match(files!.message, /last good file store backup 0\.\d h ago \(expected every 1 h\)/);
});
