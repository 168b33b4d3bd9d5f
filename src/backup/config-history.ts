// Server configuration (NEXUS_CONFIG_DIR, /etc/nexus) kept forever in a bare
// git repository in the backup target: a commit whenever something changed,
// nothing otherwise. Note that the env file holds the database password: the
// target is readable by the nexus group only (docs/operations.md).

import { existsSync } from 'node:fs';
import os from 'node:os';
import type { DbAccess } from '../db/connection.ts';
import { NexusError } from '../core/errors.ts';
import { runTool } from './exec.ts';
import { recorded } from './record.ts';

const GIT = '/usr/bin/git';

function git(repo: string, workTree: string, args: string[]) {
  // safe.directory: /etc/nexus belongs to root while nexus-backup runs as nexus.
  return runTool(GIT, ['-c', 'safe.directory=*', '-c', 'user.name=nexus-backup', '-c', 'user.email=nexus-backup@localhost', `--git-dir=${repo}`, `--work-tree=${workTree}`, ...args]);
}

/** Commits the folder if it changed; `undefined` when there was nothing to do. */
export async function snapshotConfig(db: DbAccess, configDir: string, repo: string) {
  if (!existsSync(configDir)) return undefined;
  if (!existsSync(repo)) await runTool(GIT, ['init', '--quiet', '--bare', repo], { failCode: 'config_backup_failed' });
  const add = await git(repo, configDir, ['add', '--all', '.']);
  if (add.code !== 0) {
    return recorded(db, 'config', () => Promise.reject(new NexusError('config_backup_failed', `git add in ${configDir} failed: ${add.stderr.trim()}`)));
  }
  const changed = (await git(repo, configDir, ['status', '--porcelain'])).stdout.trim();
  if (!changed) return undefined;
  return recorded(db, 'config', async () => {
    const msg = `${configDir} on ${os.hostname()} at ${new Date().toISOString()}\n\n${changed}`;
    const c = await git(repo, configDir, ['commit', '--quiet', '-m', msg]);
    if (c.code !== 0) throw new NexusError('config_backup_failed', `git commit failed: ${c.stderr.trim() || c.stdout.trim()}`);
    const head = (await git(repo, configDir, ['rev-parse', 'HEAD'])).stdout.trim();
    return { artefact: repo, detail: { commit: head, changes: changed.split('\n').length } };
  });
}
