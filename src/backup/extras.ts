// What the backup service does besides the scheduled tasks: a snapshot of
// the server configuration every CONFIG_EVERY_MS (a commit only when it
// changed) and the offsite copy hourly and after each new backup. Their
// timing lives in memory: a config snapshot that changes nothing leaves no
// row, so the recorded runs cannot drive it; a failure waits an hour.

import path from 'node:path';
import type { DbAccess } from '../db/connection.ts';
import type { Settings } from '../core/settings.ts';
import type { Logger } from '../core/log.ts';
import { backupPaths } from './paths.ts';
import { snapshotConfig } from './config-history.ts';
import { offsiteCopy } from './offsite.ts';

const CONFIG_EVERY_MS = 10 * 60_000;
const OFFSITE_EVERY_MS = 60 * 60_000;
const AFTER_FAILURE_MS = 60 * 60_000;

export function configRepo(s: Pick<Settings, 'home' | 'backupDir'>): string {
  return path.join(backupPaths(s).root, 'config.git');
}

export function backupExtras(db: DbAccess, s: Settings, log: Logger) {
  let nextConfig = 0;
  let nextOffsite = 0;
  return async (now: number, ranBackup: boolean): Promise<void> => {
    if (now >= nextConfig) {
      await snapshotConfig(db, s.configDir, configRepo(s)).then(
        (r) => {
          nextConfig = now + CONFIG_EVERY_MS;
          if (r) log.info({ commit: (r.detail as { commit: string }).commit }, 'configuration change committed');
        },
        (err: unknown) => {
          nextConfig = now + AFTER_FAILURE_MS;
          log.error({ err }, 'configuration snapshot failed');
        },
      );
    }
    if (s.backupOffsite && (ranBackup || now >= nextOffsite)) {
      await offsiteCopy(db, backupPaths(s).root, s.backupOffsite).then(
        () => (nextOffsite = now + OFFSITE_EVERY_MS),
        (err: unknown) => {
          nextOffsite = now + AFTER_FAILURE_MS;
          log.error({ err }, 'offsite copy failed');
        },
      );
    }
  };
}
