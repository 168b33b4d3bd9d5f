// Where backups live: NEXUS_BACKUP_DIR (the NAS mount in production), else
// $NEXUS_HOME/backups. One folder per kind, so retention of one never touches
// another: dumps/ (pg_dump + manifest), base/ (pg_basebackup), wal/ (archive),
// clarity/ (Clarity's state), files/ (the file store, src/backup/files.ts).

import { chownSync, existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Settings } from '../core/settings.ts';

export interface BackupPaths {
  root: string;
  dumps: string;
  base: string;
  wal: string;
  clarity: string;
  /** The file store's copy, in its layout: files/<aa>/<bb>/<sha256>. Never pruned. */
  files: string;
}

export function backupPaths(settings: Pick<Settings, 'home' | 'backupDir'>): BackupPaths {
  return pathsUnder(path.resolve(settings.home, settings.backupDir ?? 'backups'));
}

export function pathsUnder(root: string): BackupPaths {
  return { root, dumps: path.join(root, 'dumps'), base: path.join(root, 'base'), wal: path.join(root, 'wal'), clarity: path.join(root, 'clarity'), files: path.join(root, 'files') };
}

/** A UTC timestamp usable in file names, sortable as text: 20260126T020000Z. */
export function stamp(at: Date): string {
  return at.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
}

/**
 * Creates the folders. The root is traversable (0711) because the database
 * server, another OS user, writes WAL into wal/ and a drill's temporary
 * cluster reads it; `walOwner` (uid/gid of the server user) gets wal/.
 */
export function ensureBackupDirs(p: BackupPaths, walOwner?: { uid: number; gid: number }): void {
  // An existing root (a NAS mount) keeps the owner and mode its administrator gave it.
  if (!existsSync(p.root)) mkdirSync(p.root, { recursive: true, mode: 0o711 });
  mkdirSync(p.dumps, { recursive: true, mode: 0o750 });
  mkdirSync(p.base, { recursive: true, mode: 0o750 });
  mkdirSync(p.wal, { recursive: true, mode: 0o750 });
  mkdirSync(p.files, { recursive: true, mode: 0o750 });
  if (walOwner) chownSync(p.wal, walOwner.uid, walOwner.gid);
}
