// What the file store backup, its verification and its restore share: the
// store's layout (<dir>/<aa>/<bb>/<sha256>, src/sync/files/store.ts), a
// paged walk over nexus.files, and the one way a file is ever written: a
// temp file next to its final name, fsynced, renamed only when its own bytes
// hash to the name. So a file with a final name is whole and right, on
// either side, and a crash leaves at most a `.…partial` (which the offsite
// rsync skips).

import { constants } from 'node:fs';
import { copyFile, mkdir, open, rename, rm, stat } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import type pg from 'pg';
import { NexusError } from '../core/errors.ts';
import { isSha256 } from '../sync/files/sha.ts';
import { hashFile, storedFilePath } from '../sync/files/store.ts';

export function fanOutPath(dir: string, sha256: string): string {
  if (!isSha256(sha256)) throw new NexusError('invalid_sha256', `${JSON.stringify(sha256)} is not a sha256.`);
  return storedFilePath(dir, sha256);
}

export const sha256Of = async (file: string): Promise<string> => (await hashFile(file)).sha256;

/** Size of a regular file, or undefined when there is none. */
export async function sizeOf(file: string): Promise<number | undefined> {
  return stat(file).then(
    (s) => (s.isFile() ? s.size : undefined),
    () => undefined,
  );
}

export type CopyOutcome = { kind: 'copied'; bytes: number } | { kind: 'no_source' } | { kind: 'mismatch'; actual: string };

/**
 * Copies `src` to `dst` (replacing a damaged file there) if the copy hashes
 * to `sha256`. The copy itself is hashed, not the source as it is read: what
 * is checked is what will be renamed into place. The caller fsyncs the
 * folders it touched (`dirs`) before it reports success: once per folder,
 * not once per file.
 */
export async function copyVerified(src: string, dst: string, sha256: string, dirs: Set<string>, dirMode = 0o750): Promise<CopyOutcome> {
  const dir = path.dirname(dst);
  await mkdir(dir, { recursive: true, mode: dirMode });
  const tmp = path.join(dir, `.${sha256}.${randomBytes(4).toString('hex')}.partial`);
  try {
    try {
      // copy_file_range on Linux: no bytes through this process for the copy.
      await copyFile(src, tmp, constants.COPYFILE_EXCL);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT' && (await sizeOf(src)) === undefined) return { kind: 'no_source' };
      throw err;
    }
    const actual = await sha256Of(tmp);
    if (actual !== sha256) return { kind: 'mismatch', actual };
    const fh = await open(tmp, 'r');
    let bytes: number;
    try {
      await fh.sync();
      bytes = (await fh.stat()).size;
    } finally {
      await fh.close();
    }
    await rename(tmp, dst);
    dirs.add(dir);
    return { kind: 'copied', bytes };
  } finally {
    // After the rename there is nothing left to remove; otherwise the temp goes.
    await rm(tmp, { force: true });
  }
}

export async function fsyncDirs(dirs: Set<string>): Promise<void> {
  for (const d of dirs) {
    const fh = await open(d, 'r');
    try {
      await fh.sync();
    } finally {
      await fh.close();
    }
  }
  dirs.clear();
}

export interface FileRow {
  sha256: string;
  sizeBytes: number;
}

/**
 * nexus.files in (stored_at, sha256) order, a page at a time, optionally
 * only rows stored from `since` (minus `overlapMs`) or before `before`
 * (timestamps as PostgreSQL prints them, so no precision is lost).
 */
export async function* fileRows(pool: pg.Pool, o: { since?: string; overlapMs?: number; before?: string; page?: number } = {}): AsyncGenerator<FileRow[]> {
  let cursor: { at: string; sha: string } | undefined;
  for (;;) {
    const where: string[] = [];
    const params: unknown[] = [];
    const add = (sql: (n: number) => string, ...values: unknown[]) => {
      params.push(...values);
      where.push(sql(params.length - values.length + 1));
    };
    if (o.since !== undefined) add((n) => `stored_at >= $${n}::timestamptz - $${n + 1} * interval '1 millisecond'`, o.since, o.overlapMs ?? 0);
    if (o.before !== undefined) add((n) => `stored_at < $${n}::timestamptz`, o.before);
    if (cursor) add((n) => `(stored_at, sha256) > ($${n}::timestamptz, $${n + 1})`, cursor.at, cursor.sha);
    params.push(o.page ?? 1000);
    const { rows } = await pool.query<{ sha256: string; size_bytes: string; at: string }>(
      `SELECT sha256, size_bytes, stored_at::text AS at FROM nexus.files ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
        ORDER BY stored_at, sha256 LIMIT $${params.length}`,
      params,
    );
    if (rows.length === 0) return;
    yield rows.map((r) => ({ sha256: r.sha256, sizeBytes: Number(r.size_bytes) }));
    const last = rows[rows.length - 1]!;
    cursor = { at: last.at, sha: last.sha256 };
  }
}

/** Runs `fn` over `items`, `width` at a time (copies to a NAS wait on the network more than on us). */
export async function eachLimited<T>(items: readonly T[], width: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) await fn(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(width, items.length) }, worker));
}

/** The first few of a list, for a message or a run's detail (a damaged store can name thousands). */
export function firstFew(list: readonly string[], n = 20): string[] {
  return list.slice(0, n);
}
