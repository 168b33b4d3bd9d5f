// The content-addressed file store (SYNC_PROTOCOL §3). Bytes live on disk at
// <dir>/<aa>/<bb>/<sha256>; nexus.files holds their metadata. A file reaches
// its final path only by an atomic rename of a fully written, fsynced temp
// file whose hash was checked, and its row is inserted only after that, so a
// row always means the bytes are durably there. Temp files and resumable
// uploads live under <dir>/tmp (same file system, so the rename is atomic).

import { createReadStream } from 'node:fs';
import { mkdir, open, rename, rm, stat } from 'node:fs/promises';
import { createHash, randomBytes } from 'node:crypto';
import path from 'node:path';
import type pg from 'pg';
import { NexusError } from '../../core/errors.ts';
import { isSha256 } from './sha.ts';

export interface StoredFile {
  sha256: string;
  sizeBytes: number;
  contentType: string;
  storedAt: Date;
}

export interface Provenance {
  contentType: string;
  via: 'put' | 'tus';
  deviceId?: string | undefined;
}

/** Where a stored file lives: <dir>/<aa>/<bb>/<sha256> (the backup mirrors this layout). */
export function storedFilePath(dir: string, sha256: string): string {
  return path.join(dir, sha256.slice(0, 2), sha256.slice(2, 4), sha256);
}

export async function hashFile(file: string): Promise<{ sha256: string; sizeBytes: number }> {
  const h = createHash('sha256');
  let size = 0;
  for await (const chunk of createReadStream(file, { highWaterMark: 1 << 20 }) as AsyncIterable<Buffer>) {
    h.update(chunk);
    size += chunk.length;
  }
  return { sha256: h.digest('hex'), sizeBytes: size };
}

export class FileStore {
  readonly dir: string;
  /** Scratch space for PUT temp files and tus uploads in progress. */
  readonly tmpDir: string;
  private readonly pool: pg.Pool;

  /** `pool` logs in as nexus_sync (SELECT, INSERT on nexus.files). */
  constructor(dir: string, pool: pg.Pool) {
    this.dir = path.resolve(dir);
    this.tmpDir = path.join(this.dir, 'tmp');
    this.pool = pool;
  }

  pathOf(sha256: string): string {
    if (!isSha256(sha256)) throw new NexusError('invalid_request', 'sha256 must be 64 lowercase hex digits.', { status: 400 });
    return storedFilePath(this.dir, sha256);
  }

  /** The hashes among `sha256s` the store does not have, in input order, without repeats. */
  async missing(sha256s: readonly string[]): Promise<string[]> {
    const wanted = [...new Set(sha256s)];
    if (wanted.length === 0) return [];
    const { rows } = await this.pool.query<{ sha256: string }>('SELECT sha256 FROM nexus.files WHERE sha256 = ANY($1::text[])', [wanted]);
    const have = new Set(rows.map((r) => r.sha256));
    return wanted.filter((s) => !have.has(s));
  }

  async get(sha256: string): Promise<StoredFile | undefined> {
    const { rows } = await this.pool.query<{ sha256: string; size_bytes: string; content_type: string; stored_at: Date }>(
      'SELECT sha256, size_bytes, content_type, stored_at FROM nexus.files WHERE sha256 = $1',
      [sha256],
    );
    const r = rows[0];
    return r && { sha256: r.sha256, sizeBytes: Number(r.size_bytes), contentType: r.content_type, storedAt: r.stored_at };
  }

  /** A fresh, unique temp path under tmpDir (created on first use). */
  async tempPath(prefix: string): Promise<string> {
    await mkdir(this.tmpDir, { recursive: true, mode: 0o700 });
    return path.join(this.tmpDir, `${prefix}-${randomBytes(8).toString('hex')}.part`);
  }

  /**
   * Files a fully written temp file under `sha256`: fsync, atomic rename,
   * fsync of the folders, then the row. Returns whether the row is new (false
   * when a concurrent or earlier upload stored the same bytes first). The
   * caller has checked the hash; renaming identical bytes over an existing
   * file is harmless, which is what makes concurrent uploads safe.
   */
  async commit(tmp: string, sha256: string, sizeBytes: number, prov: Provenance): Promise<boolean> {
    const final = this.pathOf(sha256);
    const fh = await open(tmp, 'r+');
    try {
      // tus writes its files with the default mode; stored files are the service's alone.
      await fh.chmod(0o600);
      await fh.sync();
    } finally {
      await fh.close();
    }
    // Node's recursive mkdir treats a folder that appears meanwhile as
    // success at every level, so concurrent commits into one fan-out folder
    // do not fail on each other (commit.test.ts); a file in the way does.
    await mkdir(path.dirname(final), { recursive: true, mode: 0o700 });
    await rename(tmp, final);
    // Both folders: the new name made durable, and the old one gone. Independent, so at once.
    await Promise.all([fsyncDir(path.dirname(final)), fsyncDir(path.dirname(tmp))]);
    const { rowCount } = await this.pool.query(
      `INSERT INTO nexus.files (sha256, size_bytes, content_type, via, device_id)
       VALUES ($1, $2, $3, $4, $5) ON CONFLICT (sha256) DO NOTHING`,
      [sha256, sizeBytes, prov.contentType, prov.via, prov.deviceId ?? null],
    );
    return rowCount === 1;
  }

  /** Hashes a file on disk by streaming it (for uploads written elsewhere, like tus). */
  hashFile(file: string): Promise<{ sha256: string; sizeBytes: number }> {
    return hashFile(file);
  }

  /** Whether the bytes are on disk (a row without bytes would be a damaged store). */
  async onDisk(sha256: string): Promise<boolean> {
    return stat(this.pathOf(sha256)).then((s) => s.isFile(), () => false);
  }

  async discard(tmp: string): Promise<void> {
    await rm(tmp, { force: true });
  }
}

async function fsyncDir(dir: string): Promise<void> {
  const fh = await open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}
