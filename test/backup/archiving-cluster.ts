// A private cluster with WAL archiving on (the run's shared cluster has it
// off), set up like the embedded one: roles, database, migrations.

import { after } from 'node:test';
import { rmSync } from 'node:fs';
import path from 'node:path';
import { loadSettings, type Settings } from '../../src/core/settings.ts';
import { EmbeddedCluster } from '../../src/db/cluster.ts';
import { findPgBinaries } from '../../src/db/binaries.ts';
import { loadSecrets } from '../../src/db/secrets.ts';
import { openDatabase, type DbAccess } from '../../src/db/connection.ts';
import { bootstrap } from '../../src/db/bootstrap.ts';
import { migrate } from '../../src/db/migrate.ts';
import { backupPaths, ensureBackupDirs, type BackupPaths } from '../../src/backup/paths.ts';
import { archiveConf } from '../../src/backup/wal.ts';
import { serverOsUser } from '../../src/backup/osuser.ts';
import { scratch } from './helpers.ts';

export interface ArchivingCluster {
  settings: Settings;
  serverUser: ReturnType<typeof serverOsUser>;
  db: DbAccess;
  paths: BackupPaths;
  cluster: EmbeddedCluster;
  query<R = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<R[]>;
}

export async function archivingCluster(name: string, archiveTimeout = 60): Promise<ArchivingCluster> {
  const root = scratch(name, false);
  const home = path.join(root, 'home');
  const settings = loadSettings({ NEXUS_HOME: home, NEXUS_PG_DURABLE: 'false', NEXUS_LOG_LEVEL: 'warn', NEXUS_BACKUP_DIR: path.join(path.dirname(home), 'nas') }, home);
  const secrets = loadSecrets(home, true);
  const paths = backupPaths(settings);
  const serverUser = serverOsUser(settings.pgOsUser);
  ensureBackupDirs(paths, serverUser);
  const cluster = new EmbeddedCluster({
    dir: path.join(home, 'pg'),
    bin: findPgBinaries(),
    port: 0,
    osUser: settings.pgOsUser,
    durable: false,
    superuser: secrets.superuser!,
    extraConf: archiveConf(paths.wal, archiveTimeout, serverUser),
  });
  let db: DbAccess | undefined;
  // One hook, in this order: node:test runs `after` hooks first-registered first.
  after(async () => {
    await db?.close();
    await cluster.stop().catch(() => undefined);
    rmSync(root, { recursive: true, force: true });
  });
  await cluster.start();
  db = (await openDatabase(settings)).db;
  await bootstrap(db);
  await migrate(db);
  return {
    settings,
    serverUser,
    db,
    paths,
    cluster,
    async query(sql, params = []) {
      const c = await db.connect('admin');
      try {
        return (await c.query(sql, params)).rows;
      } finally {
        await c.end();
      }
    },
  };
}
