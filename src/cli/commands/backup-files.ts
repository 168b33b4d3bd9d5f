// The file store's part of `nexus backup`: `backup files` (copy new files
// now), and what `backup verify --files` and `backup restore --files` run.
// Registered from backup.ts, where verify and restore hand over to these.

import type { Command } from 'commander';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { getRuntime, print } from '../runtime.ts';
import { withDatabase, type OpenPlatform } from '../platform.ts';
import { usageError } from '../../core/errors.ts';
import { backupPaths, ensureBackupDirs, pathsUnder } from '../../backup/paths.ts';
import { backupFiles } from '../../backup/files.ts';
import { verifyBackedUpFiles } from '../../backup/files-verify.ts';
import { restoreFiles } from '../../backup/files-restore.ts';

const withDb = <T>(fn: (p: OpenPlatform) => Promise<T>): Promise<T> => withDatabase(getRuntime(), fn);

const few = (list: string[]) => (list.length > 10 ? `${list.slice(0, 10).join(', ')} … (${list.length})` : list.join(', '));

function positiveInt(v: string | undefined, option: string): number | undefined {
  if (v === undefined) return undefined;
  if (!/^[1-9]\d{0,8}$/.test(v)) throw usageError('invalid_option', `${option} takes a whole number of files, at least 1 (got ${JSON.stringify(v)}).`);
  return Number(v);
}

export function registerBackupFiles(backup: Command): void {
  backup
    .command('files')
    .description('copy files of the file store the backup does not have yet into files/ of the backup folder (hourly in the service)')
    .option('--full', 'look at every file the database lists, not only those stored since the last run')
    .option('--json', 'print JSON')
    .action(async (o: { full?: boolean; json?: boolean }) => {
      const p = backupPaths(s());
      ensureBackupDirs(p);
      const r = await withDb((db) => backupFiles(db.db, { storeDir: s().filesDir, backupDir: p.files, full: !!o.full }));
      const d = r.detail;
      print(o.json, r, () => `file store backed up to ${p.files}: ${d.copied} copied (${d.bytesCopied} bytes), ${d.present} already there, ${d.listed} looked at${d.full ? ' (full pass)' : ''}`);
    });
}

export async function verifyFilesCommand(o: { sample?: string; repair?: boolean; json?: boolean }): Promise<void> {
  const sample = positiveInt(o.sample, '--sample');
  const r = await withDb((p) => verifyBackedUpFiles(p.db, { backupDir: backupPaths(s()).files, storeDir: s().filesDir, ...(sample ? { sample } : {}), repair: !!o.repair }));
  print(o.json, r, () =>
    [
      `${r.ok ? 'ok  ' : 'BAD '} ${r.checked} backed-up file(s) checked${r.sample ? ` (a random sample of ${r.sample})` : ''}, ${r.bytesHashed} bytes hashed`,
      ...(r.missing.length ? [`missing: ${few(r.missing)}`] : []),
      ...(r.corrupt.length ? [`corrupt: ${few(r.corrupt)}`] : []),
      ...(r.repaired.length ? [`repaired from the live store: ${few(r.repaired)}`] : []),
    ].join('\n'),
  );
  if (!r.ok) process.exitCode = 1;
}

export async function restoreFilesCommand(o: { from?: string; rehash?: boolean; json?: boolean }): Promise<void> {
  const from = o.from ? pathsUnder(path.resolve(o.from)).files : backupPaths(s()).files;
  if (!existsSync(from)) throw usageError('files_backup_missing', `There is no file store backup at ${from}; --from takes a backup folder (the one holding dumps/ and files/).`);
  const r = await withDb((p) => restoreFiles(p.db, { storeDir: s().filesDir, backupDir: from, rehash: !!o.rehash }));
  print(o.json, r, () =>
    [
      `${r.ok ? 'ok  ' : 'INCOMPLETE '} ${r.referenced} file(s) in the database: ${r.present} already in ${s().filesDir}${o.rehash ? ` (hashes checked; ${r.damaged} damaged)` : ''}, ${r.restored} restored (${r.bytesRestored} bytes) from ${from}`,
      ...(r.lost.length ? [`lost (in neither): ${few(r.lost)}`] : []),
      ...(r.corrupt.length ? [`backup copy corrupt, not restored: ${few(r.corrupt)}`] : []),
    ].join('\n'),
  );
  if (!r.ok) process.exitCode = 1;
}

function s() {
  return getRuntime().settings;
}
