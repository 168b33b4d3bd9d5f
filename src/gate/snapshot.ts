// A consistent copy of what the standby needs to take over: Guardian's folder
// (registry, signing keys, gate WireGuard key) and the TLS folder (the
// internal CA that devices trust and that signs their client certificates,
// and Guardian's server certificate). Every file there is replaced
// atomically, and each folder is copied under the lock its writers take, so
// the copy never holds a registration without the key that signs its tokens,
// or a certificate without its key.

import { copyFileSync, existsSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { withLock } from '../core/lock.ts';
import { guardianDir, withGuardianLock } from '../guardian/index.ts';
import { tlsDir } from '../tls/index.ts';

/** The folders of NEXUS_HOME that config sync sends, by name (the same names under the standby's NEXUS_HOME). */
export const SNAPSHOT_DIRS = ['guardian', 'tls'] as const;

function copyFiles(from: string, to: string): string[] {
  mkdirSync(to, { recursive: true, mode: 0o700 });
  if (!existsSync(from)) return [];
  const copied: string[] = [];
  for (const name of readdirSync(from)) {
    // Lock files and the temp files of atomic writes stay behind.
    if (name.startsWith('.')) continue;
    const file = path.join(from, name);
    if (!statSync(file).isFile()) continue;
    copyFileSync(file, path.join(to, name));
    copied.push(`${path.basename(to)}/${name}`);
  }
  return copied;
}

/** Writes OUT/guardian/… and OUT/tls/…; returns the copied files as `folder/name`, sorted. */
export async function snapshotGuardian(home: string, out: string): Promise<string[]> {
  rmSync(out, { recursive: true, force: true });
  mkdirSync(out, { recursive: true, mode: 0o700 });
  const guardian = await withGuardianLock(home, () => copyFiles(guardianDir(home), path.join(out, 'guardian')));
  // src/tls takes this lock while it creates the CA or re-issues the server certificate.
  const copyTls = () => copyFiles(tlsDir(home), path.join(out, 'tls'));
  const tls = existsSync(tlsDir(home)) ? await withLock(path.join(tlsDir(home), '.lock'), copyTls) : copyTls();
  return [...guardian, ...tls].sort();
}
