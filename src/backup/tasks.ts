// The backup tasks as the service and the CLI run them: each records its run
// and, on failure, an alert (record.ts). Retention follows each new backup.

import type { DbAccess } from '../db/connection.ts';
import type { Settings } from '../core/settings.ts';
import { backupPaths, ensureBackupDirs, type BackupPaths } from './paths.ts';
import { runDump } from './dump.ts';
import { applyDumpRetention } from './retention.ts';
import { applyWalRetention } from './wal-retention.ts';
import { listDumps } from './manifest.ts';
import { pgRestoreFor } from './verify.ts';
import { recorded } from './record.ts';
import { restoreTest } from './restore.ts';
import { runBaseBackup } from './basebackup.ts';
import { runDrill } from './drill.ts';
import type { Task } from './schedule.ts';
import { backupClarity } from './clarity.ts';
import { backupFiles } from './files.ts';
import { verifyBackedUpFiles } from './files-verify.ts';

export type BackupSettings = Pick<Settings, 'home' | 'backupDir' | 'pgBinDir' | 'pgOsUser' | 'backupRetentionDays' | 'walRetentionDays' | 'filesDir'>;

export function preparedPaths(s: BackupSettings): BackupPaths {
  const p = backupPaths(s);
  ensureBackupDirs(p);
  return p;
}

export async function retention(db: DbAccess, s: BackupSettings) {
  const p = preparedPaths(s);
  return recorded(db, 'retention', async () => {
    const exe = await pgRestoreFor(db, s.pgBinDir);
    const dumps = await applyDumpRetention(listDumps(p.dumps), s.backupRetentionDays, exe);
    const wal = applyWalRetention(p.base, p.wal, s.walRetentionDays);
    return { detail: { dumpsDeleted: dumps.deleted.length, dumpsKept: dumps.kept.length, protected: dumps.protected ?? null, ...wal, baseDeleted: wal.baseDeleted.length, baseKept: wal.baseKept.length } };
  });
}

export async function runTask(task: Task, db: DbAccess, s: BackupSettings): Promise<unknown> {
  const p = preparedPaths(s);
  const binDir = s.pgBinDir;
  switch (task) {
    case 'dump': {
      const r = await runDump(db, { dir: p.dumps, ...(binDir ? { binDir } : {}) });
      await retention(db, s);
      return r;
    }
    case 'base': {
      const r = await runBaseBackup(db, { dir: p.base, ...(binDir ? { binDir } : {}) });
      await retention(db, s);
      return r;
    }
    case 'restore_test':
      return restoreTest(db, { dir: p.dumps, ...(binDir ? { binDir } : {}) });
    case 'drill':
      return runDrill(db, { paths: p, pgOsUser: s.pgOsUser, ...(binDir ? { pgBinDir: binDir } : {}) });
    case 'clarity':
      return backupClarity(db, s.home, p.clarity);
    case 'files':
      return backupFiles(db, { storeDir: s.filesDir, backupDir: p.files });
    case 'files_verify':
      // Damage is recorded and alerted, not repaired behind the operator's back: a rotting NAS should be seen.
      return verifyBackedUpFiles(db, { backupDir: p.files, storeDir: s.filesDir });
  }
}
