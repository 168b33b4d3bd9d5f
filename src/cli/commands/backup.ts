// `nexus backup run|list|verify|restore|base|drill|clarity|files|retention|offsite|config|wal-setup|archive-wal`.
// `nexus backup` alone is the service (registered from the service list).

import type { Command } from 'commander';
import path from 'node:path';
import { getRuntime, print } from '../runtime.ts';
import { withDatabase, type OpenPlatform } from '../platform.ts';
import { usageError } from '../../core/errors.ts';
import { archiveWal } from '../../backup/wal.ts';
import { backupPaths, ensureBackupDirs } from '../../backup/paths.ts';
import { listDumps } from '../../backup/manifest.ts';
import { pgRestoreFor, verifyDumpFile } from '../../backup/verify.ts';
import { restoreInto } from '../../backup/restore.ts';
import { retention, runTask } from '../../backup/tasks.ts';
import { setupArchiving } from '../../backup/wal-setup.ts';
import { serverOsUser } from '../../backup/osuser.ts';
import { backupInventory } from '../../backup/inventory.ts';
import type { Task } from '../../backup/schedule.ts';
import { offsiteCopy } from '../../backup/offsite.ts';
import { snapshotConfig } from '../../backup/config-history.ts';
import { configRepo } from '../../backup/extras.ts';
import { registerBackupFiles, restoreFilesCommand, verifyFilesCommand } from './backup-files.ts';

const withDb = <T>(fn: (p: OpenPlatform) => Promise<T>): Promise<T> => withDatabase(getRuntime(), fn);

export function registerBackup(program: Command): void {
  const backup = program.commands.find((c) => c.name() === 'backup') ?? program.command('backup').description('backups');
  const s = () => getRuntime().settings;
  const task = (name: Task, what: string) => async (o: { json?: boolean }) => {
    const r = await withDb((p) => runTask(name, p.db, s()));
    print(o.json, r, () => `${what}: ${JSON.stringify(r, (k, v) => (k === 'rowCounts' ? undefined : v), 1).replace(/\n\s*/g, ' ')}`);
  };

  backup.command('run').description('pg_dump now (custom format, with manifest), then apply retention').option('--json', 'print JSON').action(task('dump', 'dump written'));
  backup.command('base').description('pg_basebackup now, verified with pg_verifybackup, then apply retention').option('--json', 'print JSON').action(task('base', 'base backup written'));
  backup.command('clarity').description("archive Clarity's state and sources now (kept 30 days)").option('--json', 'print JSON').action(task('clarity', 'Clarity state archived'));
  backup.command('drill').description('point-in-time drill: restore the latest base backup + WAL into a temporary cluster and check a marker').option('--json', 'print JSON').action(task('drill', 'drill passed'));

  backup
    .command('list')
    .description('dumps, base backups and the WAL archive in the backup folder')
    .option('--json', 'print JSON')
    .action((o: { json?: boolean }) => {
      const inv = backupInventory(backupPaths(s()));
      print(o.json, inv, () => inv.lines.join('\n'));
    });

  backup
    .command('verify [file]')
    .description('check dumps (the given one, or all): size and sha256 against the manifest, pg_restore --list; with --files, the backed-up files instead')
    .option('--files', 'check the file store backup: every backed-up file there and hashing to its name')
    .option('--sample <n>', 'with --files: a random sample of n files')
    .option('--repair', 'with --files: copy missing or corrupt ones again from the live store')
    .option('--json', 'print JSON')
    .action(async (file: string | undefined, o: { json?: boolean; files?: boolean; sample?: string; repair?: boolean }) => {
      if (o.files) return verifyFilesCommand(o);
      if (o.sample || o.repair) throw usageError('invalid_option', '--sample and --repair go with --files.');
      const results = await withDb(async (p) => {
        const exe = await pgRestoreFor(p.db, s().pgBinDir);
        const files = file ? [path.resolve(file)] : listDumps(backupPaths(s()).dumps).map((d) => d.dumpFile);
        const out = [];
        for (const f of files) out.push(await verifyDumpFile(f, exe));
        return out;
      });
      if (results.length === 0) throw usageError('no_dumps', 'No dumps to verify; run `nexus backup run`.');
      print(o.json, results, () => results.map((r) => `${r.ok ? 'ok  ' : 'BAD '} ${r.file}${r.ok ? ` (${r.tocEntries} entries)` : `: ${r.problems.join('; ')}`}`).join('\n'));
      if (results.some((r) => !r.ok)) process.exitCode = 1;
    });

  backup
    .command('restore [file]')
    .description('restore test (--test: latest good dump into a temporary database, compare row counts, drop it) or restore a dump into a new database (--into), or the file store (--files)')
    .option('--test', 'run the restore test')
    .option('--into <database>', 'name of the new database to restore into')
    .option('--files', 'restore the file store: copy back every file the database lists that the store lacks, hashes checked')
    .option('--from <folder>', 'with --files: the backup folder to take them from (default NEXUS_BACKUP_DIR; e.g. the offsite copy)')
    .option('--rehash', 'with --files: also hash the files the store has, and replace those that do not match their name')
    .option('--json', 'print JSON')
    .action(async (file: string | undefined, o: { test?: boolean; into?: string; files?: boolean; from?: string; rehash?: boolean; json?: boolean }) => {
      if (o.test) return task('restore_test', 'restore test passed')(o);
      if (o.files) return restoreFilesCommand(o);
      if (o.from || o.rehash) throw usageError('invalid_option', '--from and --rehash go with --files.');
      if (!file || !o.into) throw usageError('invalid_option', 'Give a dump file and --into <new database>, or --test, or --files.');
      const r = await withDb((p) => restoreInto(p.db, path.resolve(file), o.into!, s().pgBinDir));
      print(o.json, r, () => (r.mismatches.length ? `restored into ${r.database}, but row counts differ: ${r.mismatches.join('; ')}` : `restored into ${r.database}; row counts match the manifest`));
      if (r.mismatches.length) process.exitCode = 1;
    });

  registerBackupFiles(backup);

  backup
    .command('retention')
    .description('apply retention now (dumps, base backups, WAL)')
    .option('--json', 'print JSON')
    .action(async (o: { json?: boolean }) => {
      const r = await withDb((p) => retention(p.db, s()));
      print(o.json, r, () => JSON.stringify(r.detail));
    });

  backup
    .command('offsite')
    .description('mirror the backup target to NEXUS_BACKUP_OFFSITE with rsync now')
    .option('--json', 'print JSON')
    .action(async (o: { json?: boolean }) => {
      if (!s().backupOffsite) throw usageError('offsite_unset', 'NEXUS_BACKUP_OFFSITE is not set; it accepts a folder or host:folder for rsync.');
      const r = await withDb((p) => offsiteCopy(p.db, backupPaths(s()).root, s().backupOffsite!));
      print(o.json, r, () => `copied to ${r.artefact}: ${JSON.stringify(r.detail)}`);
    });

  backup
    .command('config')
    .description('commit NEXUS_CONFIG_DIR (/etc/nexus) to config.git in the backup target if it changed')
    .action(async () => {
      const r = await withDb((p) => snapshotConfig(p.db, s().configDir, configRepo(s())));
      process.stdout.write(r ? `committed ${(r.detail as { commit: string }).commit}\n` : 'no change\n');
    });

  backup
    .command('wal-setup')
    .description('turn on WAL archiving into the backup folder (ALTER SYSTEM; restart the server after)')
    .action(async () => {
      const paths = backupPaths(s());
      const serverUser = s().databaseUrl ? undefined : serverOsUser(s().pgOsUser);
      ensureBackupDirs(paths, serverUser);
      const r = await withDb((p) => setupArchiving(p.db, paths.wal, s().archiveTimeoutSeconds, serverUser));
      process.stdout.write(`archive_command = ${r.command}\n${r.restartNeeded ? 'Restart PostgreSQL to start archiving (nexus db stop && nexus db start, or systemctl restart postgresql).\n' : 'Archiving is on.\n'}`);
    });

  backup
    .command('archive-wal <path> <name>')
    .description("PostgreSQL's archive_command: copy a WAL file durably into the archive")
    .option('--dir <dir>', 'archive folder (default: wal/ under NEXUS_BACKUP_DIR)')
    .action(async (src: string, name: string, o: { dir?: string }) => {
      await archiveWal(path.resolve(src), name, o.dir ?? backupPaths(s()).wal);
    });
}
