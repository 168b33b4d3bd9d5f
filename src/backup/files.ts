// The file store backup (task `files`): every file the store holds (a row in
// nexus.files means its bytes are durably in the store) is copied into
// <target>/files/<aa>/<bb>/<sha256>, verified, unless the backup already has
// it. Files never change and never go (src/sync/files/README.md), so the
// copy is incremental and nothing in files/ is ever deleted: whatever any
// kept dump or base backup refers to is there.
//
// The work list is nexus.files, not a walk of the folders: a run lists rows
// stored since the previous good run's watermark (the database's now() when
// that run listed), minus an hour of overlap. The overlap is there because
// stored_at is the inserting transaction's start, so a row can become
// visible after a later run already listed; re-listing an hour of rows
// costs one stat each. A full pass over every row (still stat only) runs
// weekly and when there is no earlier good run, so a file missed for any
// other reason is found within a week.

import type { DbAccess } from '../db/connection.ts';
import { NexusError } from '../core/errors.ts';
import { recorded } from './record.ts';
import { copyVerified, eachLimited, fanOutPath, fileRows, firstFew, fsyncDirs, sizeOf } from './files-copy.ts';

export const FILES_OVERLAP_MS = 60 * 60_000;
export const FULL_PASS_EVERY_MS = 7 * 24 * 60 * 60_000;
const COPIES_AT_ONCE = 4;

export interface FilesRunDetail {
  /** The database's now() when this run listed: where the next run starts (minus the overlap). */
  watermark: string;
  full: boolean;
  listed: number;
  present: number;
  copied: number;
  bytesCopied: number;
  /** Backed-up files whose size was wrong (a cut-short copy from outside): copied again. */
  replaced: number;
  missingSource: string[];
  damagedSource: string[];
}

/** The last good run's watermark and when the last full pass started (files-verify.ts reads the watermark too). */
export async function previousRun(db: DbAccess): Promise<{ watermark?: string; lastFull?: Date }> {
  const { rows } = await db.pool('nexus_backup').query<{ watermark: string | null; last_full: Date | null }>(
    `SELECT (SELECT detail->>'watermark' FROM nexus.backup_run WHERE kind = 'files' AND status = 'ok' ORDER BY finished_at DESC LIMIT 1) AS watermark,
            (SELECT max(started_at) FROM nexus.backup_run WHERE kind = 'files' AND status = 'ok' AND detail->>'full' = 'true') AS last_full`,
  );
  const r = rows[0];
  return { ...(r?.watermark ? { watermark: r.watermark } : {}), ...(r?.last_full ? { lastFull: r.last_full } : {}) };
}

/** Copies what the backup lacks from the live store `storeDir` to `backupDir` (<target>/files). */
export async function backupFiles(db: DbAccess, o: { storeDir: string; backupDir: string; full?: boolean }) {
  return recorded(db, 'files', async () => {
    const prev = await previousRun(db);
    const pool = db.pool('nexus_backup');
    const clock = (await pool.query<{ now: string; at: Date }>('SELECT now()::text AS now, now() AS at')).rows[0]!;
    const full = !!o.full || !prev.watermark || !prev.lastFull || clock.at.getTime() - prev.lastFull.getTime() >= FULL_PASS_EVERY_MS;
    const d: FilesRunDetail = { watermark: clock.now, full, listed: 0, present: 0, copied: 0, bytesCopied: 0, replaced: 0, missingSource: [], damagedSource: [] };
    const dirs = new Set<string>();
    const rows = fileRows(pool, full ? {} : { since: prev.watermark!, overlapMs: FILES_OVERLAP_MS });
    for await (const page of rows) {
      d.listed += page.length;
      await eachLimited(page, COPIES_AT_ONCE, async (f) => {
        const dst = fanOutPath(o.backupDir, f.sha256);
        const have = await sizeOf(dst);
        if (have === f.sizeBytes) {
          d.present++;
          return;
        }
        const r = await copyVerified(fanOutPath(o.storeDir, f.sha256), dst, f.sha256, dirs);
        if (r.kind === 'no_source') d.missingSource.push(f.sha256);
        else if (r.kind === 'mismatch') d.damagedSource.push(f.sha256);
        else {
          d.copied++;
          d.bytesCopied += r.bytes;
          if (have !== undefined) d.replaced++;
        }
      });
      // Each page durable before the next: a crash loses at most a page of work, never a promise.
      await fsyncDirs(dirs);
    }
    const bad = d.missingSource.length + d.damagedSource.length;
    if (bad > 0) {
      const detail = { ...d, missingSource: firstFew(d.missingSource), damagedSource: firstFew(d.damagedSource), missingCount: d.missingSource.length, damagedCount: d.damagedSource.length };
      throw new NexusError(
        'files_source_damaged',
        `${d.missingSource.length} file(s) recorded in nexus.files are missing from the file store ${o.storeDir} and ${d.damagedSource.length} do not hash to their name, so they are not in the backup ` +
          `(first: ${[...detail.missingSource, ...detail.damagedSource].slice(0, 3).join(', ')}); the other ${d.copied} new file(s) were copied. ` +
          'Put them back with `nexus backup restore --files --rehash` if an earlier backup has them (docs/operations.md).',
        { extra: detail },
      );
    }
    return { artefact: o.backupDir, sizeBytes: d.bytesCopied, detail: { ...d } };
  });
}
