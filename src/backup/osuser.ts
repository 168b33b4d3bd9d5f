// The OS user the embedded PostgreSQL runs as when we are root (it refuses
// to run as root); undefined when we are not root and so run it ourselves.

import { execFileSync } from 'node:child_process';
import { NexusError, EXIT_USAGE } from '../core/errors.ts';

export interface OsUser {
  name: string;
  uid: number;
  gid: number;
}

export function serverOsUser(name: string): OsUser | undefined {
  if (process.getuid?.() !== 0) return undefined;
  try {
    const uid = Number(execFileSync('id', ['-u', name], { encoding: 'utf8' }).trim());
    const gid = Number(execFileSync('id', ['-g', name], { encoding: 'utf8' }).trim());
    return { name, uid, gid };
  } catch {
    throw new NexusError('invalid_setting', `NEXUS_PG_OS_USER: no OS user "${name}" exists`, { exitCode: EXIT_USAGE });
  }
}

export function chownTree(dir: string, user: OsUser | undefined): void {
  if (user) execFileSync('chown', ['-R', `${user.uid}:${user.gid}`, dir]);
}
