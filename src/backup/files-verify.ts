// `nexus backup verify --files`: are the backed-up files there and right?
// Every file the last good `files` run should have copied (rows stored
// before its watermark), or a random sample of them, is looked up in
// <target>/files and re-hashed. Missing and corrupt ones are reported (and
// the run fails, which alerts); with `repair`, each is copied again from the
// live store when the live copy is right.

import type { DbAccess } from '../db/connection.ts';
import { NexusError } from '../core/errors.ts';
import { recorded } from './record.ts';
import { previousRun } from './files.ts';
import { copyVerified, eachLimited, fanOutPath, fileRows, firstFew, fsyncDirs, sha256Of, sizeOf, type FileRow } from './files-copy.ts';

/** Hashing is CPU and disk bound: two at a time on the small servers we run on. */
const HASHES_AT_ONCE = 2;

export interface FilesVerifyReport {
  ok: boolean;
  /** Rows stored before this moment were expected in the backup (the last good run's watermark). */
  expectedBefore: string | null;
  sample: number | null;
  checked: number;
  bytesHashed: number;
  missing: string[];
  corrupt: string[];
  repaired: string[];
}

async function* sampled(db: DbAccess, before: string, n: number): AsyncGenerator<FileRow[]> {
  const { rows } = await db
    .pool('nexus_backup')
    .query<{ sha256: string; size_bytes: string }>('SELECT sha256, size_bytes FROM nexus.files WHERE stored_at < $1::timestamptz ORDER BY random() LIMIT $2', [before, n]);
  yield rows.map((r) => ({ sha256: r.sha256, sizeBytes: Number(r.size_bytes) }));
}

export async function verifyBackedUpFiles(db: DbAccess, o: { backupDir: string; storeDir: string; sample?: number; repair?: boolean }): Promise<FilesVerifyReport> {
  const before = (await previousRun(db)).watermark;
  if (!before) throw new NexusError('no_files_backup', 'No good file store backup is recorded yet; run `nexus backup files`.');
  const r: FilesVerifyReport = { ok: false, expectedBefore: before, sample: o.sample ?? null, checked: 0, bytesHashed: 0, missing: [], corrupt: [], repaired: [] };
  await recorded(db, 'files_verify', async () => {
    const dirs = new Set<string>();
    const pages = o.sample === undefined ? fileRows(db.pool('nexus_backup'), { before }) : sampled(db, before, o.sample);
    for await (const page of pages) {
      await eachLimited(page, HASHES_AT_ONCE, async (f) => {
        r.checked++;
        const file = fanOutPath(o.backupDir, f.sha256);
        const size = await sizeOf(file);
        let problem: 'missing' | 'corrupt' | undefined = size === undefined ? 'missing' : undefined;
        if (!problem && size !== f.sizeBytes) problem = 'corrupt';
        if (!problem) {
          r.bytesHashed += size!;
          if ((await sha256Of(file)) !== f.sha256) problem = 'corrupt';
        }
        if (!problem) return;
        if (o.repair && (await copyVerified(fanOutPath(o.storeDir, f.sha256), file, f.sha256, dirs)).kind === 'copied') r.repaired.push(f.sha256);
        else r[problem].push(f.sha256);
      });
      await fsyncDirs(dirs);
    }
    r.ok = r.missing.length === 0 && r.corrupt.length === 0;
    const detail = { checked: r.checked, bytesHashed: r.bytesHashed, sample: r.sample, repaired: r.repaired.length, missing: firstFew(r.missing), corrupt: firstFew(r.corrupt) };
    if (!r.ok) {
      throw new NexusError(
        'files_backup_damaged',
        `Of ${r.checked} backed-up file(s) checked in ${o.backupDir}, ${r.missing.length} are missing and ${r.corrupt.length} corrupt` +
          ' (`nexus backup verify --files --repair` copies them again from the live store where it still has them).',
        { extra: { ...detail, missingCount: r.missing.length, corruptCount: r.corrupt.length } },
      );
    }
    return { artefact: o.backupDir, sizeBytes: r.bytesHashed, detail };
  }).catch((err: unknown) => {
    // Damage is an outcome to report (the run is recorded failed, which alerts), not a crash.
    if (!(err instanceof NexusError && err.code === 'files_backup_damaged')) throw err;
  });
  return r;
}
