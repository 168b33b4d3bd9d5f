// Base backup and WAL retention. Base backups older than the WAL window
// (NEXUS_WAL_RETENTION_DAYS) go, except the newest; WAL goes when it is
// older than the window AND older than the start of the oldest kept base
// backup, so every kept base backup can still be replayed forward.
// Timeline history files are tiny and needed to follow timelines: kept.

import { readdirSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { listBaseBackups } from './basebackup.ts';
import { planRetention } from './retention.ts';

/** A segment's position regardless of timeline: log and segment number (chars 9–24). */
function position(name: string): string {
  return name.slice(8, 24);
}

export function walToDelete(files: Array<{ name: string; at: Date }>, cutoff: Date, oldestNeeded: string | undefined): string[] {
  return files
    .filter((f) => /^[0-9A-F]{24}(\.partial|\.[0-9A-F]{8}\.backup)?$/.test(f.name))
    .filter((f) => f.at < cutoff && (oldestNeeded === undefined || position(f.name) < position(oldestNeeded)))
    .map((f) => f.name);
}

export interface WalRetentionResult {
  baseDeleted: string[];
  baseKept: string[];
  walDeleted: number;
  walKept: number;
}

export function applyWalRetention(baseDir: string, walDir: string, days: number, now = new Date()): WalRetentionResult {
  const cutoff = new Date(now.getTime() - days * 86_400_000);
  const bases = listBaseBackups(baseDir);
  const doomed = planRetention(
    bases.map((b) => ({ name: b.dir, at: new Date(b.meta.finishedAt) })),
    cutoff,
    bases[0]?.dir,
  );
  for (const d of doomed) rmSync(d.name, { recursive: true, force: true });
  const gone = new Set(doomed.map((d) => d.name));
  const kept = bases.filter((b) => !gone.has(b.dir));
  const oldestNeeded = kept.map((b) => b.meta.startWal).sort((a, b) => position(a).localeCompare(position(b)))[0];
  let files: Array<{ name: string; at: Date }> = [];
  try {
    files = readdirSync(walDir)
      .filter((n) => !n.startsWith('.'))
      .map((name) => ({ name, at: statSync(path.join(walDir, name)).mtime }));
  } catch {
    // no archive yet
  }
  const walDoomed = walToDelete(files, cutoff, oldestNeeded);
  for (const n of walDoomed) rmSync(path.join(walDir, n), { force: true });
  return { baseDeleted: [...gone], baseKept: kept.map((b) => b.dir), walDeleted: walDoomed.length, walKept: files.length - walDoomed.length };
}
