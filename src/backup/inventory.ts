// What is in the backup folder, for `nexus backup list` and health.

import { readdirSync } from 'node:fs';
import { listDumps } from './manifest.ts';
import { listBaseBackups } from './basebackup.ts';
import type { BackupPaths } from './paths.ts';
import { WAL_NAME } from './wal.ts';

export function walFiles(dir: string): string[] {
  try {
    return readdirSync(dir).filter((n) => WAL_NAME.test(n)).sort();
  } catch {
    return [];
  }
}

export function backupInventory(p: BackupPaths) {
  const dumps = listDumps(p.dumps).map((d) => ({ file: d.dumpFile, finishedAt: d.manifest?.finishedAt ?? null, sizeBytes: d.manifest?.sizeBytes ?? null, hasManifest: !!d.manifest }));
  const bases = listBaseBackups(p.base).map((b) => ({ dir: b.dir, finishedAt: b.meta.finishedAt, startWal: b.meta.startWal, sizeBytes: b.meta.sizeBytes }));
  const wal = walFiles(p.wal);
  const lines = [
    `backup folder: ${p.root}`,
    `dumps (${dumps.length}):`,
    ...dumps.map((d) => `  ${d.finishedAt ?? '(no manifest)      '}  ${String(d.sizeBytes ?? '?').padStart(12)} B  ${d.file}`),
    `base backups (${bases.length}):`,
    ...bases.map((b) => `  ${b.finishedAt}  ${String(b.sizeBytes).padStart(12)} B  ${b.dir} (from WAL ${b.startWal})`),
    `WAL archive: ${wal.length} file(s)${wal.length ? `, ${wal[0]} … ${wal[wal.length - 1]}` : ''}`,
  ];
  return { root: p.root, dumps, bases, wal: { count: wal.length, first: wal[0] ?? null, last: wal[wal.length - 1] ?? null }, lines };
}
