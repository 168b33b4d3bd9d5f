// Dump retention: dumps older than NEXUS_BACKUP_RETENTION_DAYS go, except the
// newest one that verifies, which stays however old it is: when backups
// have been failing for a week, the last good one is all there is.

import { rmSync } from 'node:fs';
import type { DumpEntry } from './manifest.ts';
import { latestGoodDump } from './verify.ts';

export interface Dated {
  name: string;
  at: Date;
}

/** Which items to delete: older than `cutoff`, never the `keep` one. Pure, for tests. */
export function planRetention<T extends Dated>(items: T[], cutoff: Date, keep: string | undefined): T[] {
  return items.filter((i) => i.at < cutoff && i.name !== keep);
}

function dumpTime(d: DumpEntry): Date {
  // A failed dump has no manifest: its file time is the best we know.
  return d.manifest ? new Date(d.manifest.finishedAt) : d.mtime;
}

export interface DumpRetentionResult {
  kept: string[];
  deleted: string[];
  protected: string | undefined;
}

export async function applyDumpRetention(dumps: DumpEntry[], days: number, pgRestore: string, now = new Date()): Promise<DumpRetentionResult> {
  const cutoff = new Date(now.getTime() - days * 86_400_000);
  const { good } = await latestGoodDump(dumps, pgRestore);
  const items = dumps.map((d) => ({ name: d.dumpFile, at: dumpTime(d), entry: d }));
  const doomed = planRetention(items, cutoff, good?.dumpFile);
  for (const d of doomed) {
    rmSync(d.entry.manifestFile, { force: true });
    rmSync(d.entry.dumpFile, { force: true });
  }
  const gone = new Set(doomed.map((d) => d.name));
  return { deleted: [...gone], kept: items.map((i) => i.name).filter((n) => !gone.has(n)), protected: good?.dumpFile };
}
