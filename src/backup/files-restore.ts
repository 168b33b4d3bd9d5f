// `nexus backup restore --files`: puts back every file the database refers
// to (a row in nexus.files) that the live store lacks, from <target>/files
// or another copy of it (`--from`, e.g. the offsite mirror). Each file is
// written like the store writes it (temp file in its final folder, fsync,
// hash checked, rename), so a file in the store is right or absent, never
// half there. Files the store has at the right size are left alone, unless
// `rehash`: then each is hashed too, and one that does not match its name
// (bit rot, a bad disk) is replaced from the backup. Run it after the
// database is back (a restored dump or point-in-time recovery): its
// nexus.files is what decides which files belong.

import type { DbAccess } from '../db/connection.ts';
import { NexusError } from '../core/errors.ts';
import { recorded } from './record.ts';
import { copyVerified, eachLimited, fanOutPath, fileRows, firstFew, fsyncDirs, sha256Of, sizeOf } from './files-copy.ts';

const COPIES_AT_ONCE = 4;

export interface FilesRestoreReport {
  ok: boolean;
  referenced: number;
  present: number;
  /** With `rehash`: store files at the right size whose bytes did not match their name. */
  damaged: number;
  restored: number;
  bytesRestored: number;
  /** In the database, in neither the store nor the backup. */
  lost: string[];
  /** The backup's copy does not hash to its name: not restored. */
  corrupt: string[];
}

export async function restoreFiles(db: DbAccess, o: { storeDir: string; backupDir: string; rehash?: boolean }): Promise<FilesRestoreReport> {
  const r: FilesRestoreReport = { ok: false, referenced: 0, present: 0, damaged: 0, restored: 0, bytesRestored: 0, lost: [], corrupt: [] };
  await recorded(db, 'files_restore', async () => {
    const dirs = new Set<string>();
    for await (const page of fileRows(db.pool('nexus_backup'))) {
      r.referenced += page.length;
      await eachLimited(page, COPIES_AT_ONCE, async (f) => {
        const live = fanOutPath(o.storeDir, f.sha256);
        if ((await sizeOf(live)) === f.sizeBytes) {
          if (!o.rehash || (await sha256Of(live)) === f.sha256) {
            r.present++;
            return;
          }
          r.damaged++;
        }
        // The store's own folders are private to its user (0700).
        const c = await copyVerified(fanOutPath(o.backupDir, f.sha256), live, f.sha256, dirs, 0o700);
        if (c.kind === 'no_source') r.lost.push(f.sha256);
        else if (c.kind === 'mismatch') r.corrupt.push(f.sha256);
        else {
          r.restored++;
          r.bytesRestored += c.bytes;
        }
      });
      await fsyncDirs(dirs);
    }
    r.ok = r.lost.length === 0 && r.corrupt.length === 0;
    const detail = { referenced: r.referenced, present: r.present, damaged: r.damaged, restored: r.restored, rehash: !!o.rehash, from: o.backupDir, lost: firstFew(r.lost), corrupt: firstFew(r.corrupt) };
    if (!r.ok) {
      throw new NexusError(
        'files_restore_incomplete',
        `${r.restored} file(s) restored into ${o.storeDir}, but ${r.lost.length} are in neither the store nor ${o.backupDir} and ${r.corrupt.length} have a corrupt backup copy`,
        { extra: { ...detail, lostCount: r.lost.length, corruptCount: r.corrupt.length } },
      );
    }
    return { artefact: o.storeDir, sizeBytes: r.bytesRestored, detail };
  }).catch((err: unknown) => {
    // An incomplete restore is reported (recorded failed, alerted); anything else is an error.
    if (!(err instanceof NexusError && err.code === 'files_restore_incomplete')) throw err;
  });
  return r;
}
