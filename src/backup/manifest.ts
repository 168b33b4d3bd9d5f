// A dump's manifest sits next to it (<name>.dump → <name>.manifest.json) and
// says what a good copy looks like: its size and sha256, and the row count of
// every table as of the dump's snapshot, so a restore can be checked.

import { createHash } from 'node:crypto';
import { createReadStream, existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';

export interface DumpManifest {
  format: 'nexus-dump-1';
  file: string;
  database: string;
  serverVersion: string;
  toolVersion: string;
  startedAt: string;
  finishedAt: string;
  sizeBytes: number;
  sha256: string;
  /** "schema.table" → rows, counted in the snapshot pg_dump used. */
  rowCounts: Record<string, number>;
}

export interface DumpEntry {
  dumpFile: string;
  manifestFile: string;
  manifest: DumpManifest | undefined;
  mtime: Date;
}

export function manifestPathFor(dumpFile: string): string {
  return dumpFile.replace(/\.dump$/, '.manifest.json');
}

export function readManifest(dumpFile: string): DumpManifest | undefined {
  const file = manifestPathFor(dumpFile);
  if (!existsSync(file)) return undefined;
  try {
    const m = JSON.parse(readFileSync(file, 'utf8')) as DumpManifest;
    return m.format === 'nexus-dump-1' ? m : undefined;
  } catch {
    return undefined;
  }
}

/** Dumps in a folder, newest first (names carry a sortable UTC stamp). */
export function listDumps(dir: string): DumpEntry[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith('.dump') && !f.startsWith('.'))
    .sort()
    .reverse()
    .map((f) => {
      const dumpFile = path.join(dir, f);
      return { dumpFile, manifestFile: manifestPathFor(dumpFile), manifest: readManifest(dumpFile), mtime: statSync(dumpFile).mtime };
    });
}

export function sha256File(file: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const h = createHash('sha256');
    createReadStream(file)
      .on('data', (d) => h.update(d))
      .on('error', reject)
      .on('end', () => resolve(h.digest('hex')));
  });
}
