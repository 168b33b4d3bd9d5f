// The weekly physical backup that WAL replays on top of: pg_basebackup in
// plain format with the WAL it needs streamed alongside (so the backup is
// consistent on its own), checked with pg_verifybackup before it gets its
// final name. Runs as the administrative login: it needs REPLICATION.

import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import type { DbAccess } from '../db/connection.ts';
import { NexusError } from '../core/errors.ts';
import { writeFileAtomic } from '../core/files.ts';
import { runTool } from './exec.ts';
import { findTool } from './tools.ts';
import { serverMajor } from './dump.ts';
import { fsyncPath } from './fsync.ts';
import { stamp } from './paths.ts';
import { recorded } from './record.ts';

export interface BaseMeta {
  format: 'nexus-base-1';
  id: string;
  startedAt: string;
  finishedAt: string;
  /** First WAL segment the backup needs: everything older may go. */
  startWal: string;
  serverVersion: string;
  sizeBytes: number;
}

export const META_FILE = 'nexus-base.json';

export function dirSize(p: string): number {
  const st = statSync(p);
  if (!st.isDirectory()) return st.size;
  return readdirSync(p).reduce((sum, e) => sum + dirSize(path.join(p, e)), 0);
}

/** Verified base backups (those with our meta file), newest first. */
export function listBaseBackups(dir: string): Array<{ dir: string; meta: BaseMeta }> {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((e) => !e.startsWith('.') && existsSync(path.join(dir, e, META_FILE)))
    .sort()
    .reverse()
    .map((e) => ({ dir: path.join(dir, e), meta: JSON.parse(readFileSync(path.join(dir, e, META_FILE), 'utf8')) as BaseMeta }));
}

export async function runBaseBackup(db: DbAccess, opts: { dir: string; binDir?: string }) {
  return recorded(db, 'base', async () => {
    const started = new Date();
    const c = await db.connect('nexus_backup');
    const server = await serverMajor(c).finally(() => c.end());
    const basebackup = findTool('pg_basebackup', server.major, opts.binDir);
    const verify = findTool('pg_verifybackup', server.major, opts.binDir);
    const id = stamp(started);
    mkdirSync(opts.dir, { recursive: true, mode: 0o750 });
    const partial = path.join(opts.dir, `.${id}.partial`);
    const final = path.join(opts.dir, id);
    const { user, password } = db.credentials('admin');
    try {
      await runTool(basebackup.exe, ['-D', partial, '-Fp', '-X', 'stream', '-c', 'fast', '-l', `nexus ${id}`, '-h', db.target.host, '-p', String(db.target.port), '-U', user], {
        password,
        failCode: 'basebackup_failed',
      });
      await runTool(verify.exe, ['--quiet', partial], { failCode: 'basebackup_invalid' });
      const label = readFileSync(path.join(partial, 'backup_label'), 'utf8');
      const startWal = /START WAL LOCATION: .*\(file ([0-9A-F]{24})\)/.exec(label)?.[1];
      if (!startWal) throw new NexusError('basebackup_invalid', `No START WAL LOCATION in ${partial}/backup_label`);
      const meta: BaseMeta = {
        format: 'nexus-base-1',
        id,
        startedAt: started.toISOString(),
        finishedAt: new Date().toISOString(),
        startWal,
        serverVersion: server.version,
        sizeBytes: dirSize(partial),
      };
      writeFileAtomic(path.join(partial, META_FILE), JSON.stringify(meta, null, 2) + '\n', 0o640);
      renameSync(partial, final);
      fsyncPath(opts.dir);
      return { artefact: final, sizeBytes: meta.sizeBytes, detail: { startWal } };
    } finally {
      rmSync(partial, { recursive: true, force: true });
    }
  });
}
