// Continuous WAL archiving. PostgreSQL runs `archive_command` for every
// finished segment and deletes its copy only after a zero exit, so the copy
// must be durable before we say so: temp file, fsync, rename, fsync the
// folder. A segment already archived with the same bytes is success (the
// server may retry after a crash); different bytes under the same name are
// a failure: overwriting could destroy the only good copy.

import { chmodSync, copyFileSync, existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { NexusError, usageError } from '../core/errors.ts';
import { fsyncPath } from './fsync.ts';
import { sha256File } from './manifest.ts';
import type { OsUser } from './osuser.ts';

const NEXUS_BIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../bin/nexus.js');

/** Segments, partial segments, backup history and timeline history files. */
export const WAL_NAME = /^(?:[0-9A-F]{24}(?:\.partial|\.[0-9A-F]{8}\.backup)?|[0-9A-F]{8}\.history)$/;

export async function archiveWal(source: string, name: string, dir: string): Promise<'archived' | 'already_archived'> {
  if (!WAL_NAME.test(name)) throw usageError('invalid_wal_name', `"${name}" is not a WAL file name`);
  const dest = path.join(dir, name);
  if (existsSync(dest)) {
    const [a, b] = await Promise.all([sha256File(source), sha256File(dest)]);
    if (a === b) return 'already_archived';
    throw new NexusError('wal_conflict', `${dest} exists with different content; refusing to overwrite it. Another cluster may be archiving into ${dir}.`);
  }
  mkdirSync(dir, { recursive: true, mode: 0o750 });
  const tmp = path.join(dir, `.${name}.${randomBytes(4).toString('hex')}.tmp`);
  try {
    copyFileSync(source, tmp);
    // pg_wal files are 0600; the archive is read by nexus (drills, retention) through the group.
    chmodSync(tmp, 0o640);
    fsyncPath(tmp);
    renameSync(tmp, dest);
    fsyncPath(dir);
  } catch (err) {
    rmSync(tmp, { force: true });
    const e = err as NodeJS.ErrnoException;
    throw new NexusError('wal_archive_failed', `Could not archive ${name} into ${dir}: ${e.code ?? ''} ${e.message}`, { cause: err });
  }
  return 'archived';
}

/** A value for postgresql.conf: single-quoted, quotes doubled. */
export function confString(v: string): string {
  return `'${v.replace(/'/g, "''")}'`;
}

function shellQuote(v: string): string {
  return `'${v.replace(/'/g, `'\\''`)}'`;
}

function usableBy(user: OsUser, test: '-x' | '-r', file: string): boolean {
  try {
    execFileSync('/usr/bin/test', [test, file], { uid: user.uid, gid: user.gid, stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/**
 * The node that will run the command. When the server runs as another user
 * (we are root), it must be able to execute it: a Node fetched into root's
 * npm cache is not, so fall back to the system's (any Node >= 20.19 runs nexus).
 */
function nodeFor(user: OsUser | undefined): string {
  if (!user) return process.execPath;
  const node = [process.execPath, '/usr/bin/node', '/usr/local/bin/node'].find((n) => existsSync(n) && usableBy(user, '-x', n));
  if (!node) throw new NexusError('archive_unreachable', `PostgreSQL runs as ${user.name}, who can execute no node binary (tried ${process.execPath}, /usr/bin/node, /usr/local/bin/node); install Node.js system-wide.`);
  if (!usableBy(user, '-r', NEXUS_BIN)) {
    throw new NexusError('archive_unreachable', `PostgreSQL runs as ${user.name}, who cannot read ${NEXUS_BIN}; install nexus where every user can read it (e.g. /opt/nexus).`);
  }
  return node;
}

/** The server runs this through /bin/sh with its own, minimal environment: absolute paths only. */
export function archiveCommand(walDir: string, serverUser?: OsUser): string {
  return `${shellQuote(nodeFor(serverUser))} ${shellQuote(NEXUS_BIN)} backup archive-wal --dir ${shellQuote(walDir)} "%p" "%f"`;
}

/** postgresql.conf lines that turn archiving on (embedded clusters: ClusterOptions.extraConf). */
export function archiveConf(walDir: string, timeoutSeconds: number, serverUser?: OsUser): string[] {
  return ['wal_level = replica', 'archive_mode = on', `archive_command = ${confString(archiveCommand(walDir, serverUser))}`, `archive_timeout = ${timeoutSeconds}`];
}
