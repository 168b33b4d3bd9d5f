// @tus/file-store, adapted to the content-addressed store:
// - checksum extension: a PATCH body is hashed as it is written; on a
//   mismatch the upload is cut back to where the PATCH began (460);
// - once filed, an upload's bytes have moved into the FileStore, and the
//   upload still answers HEAD as complete, so a client that lost the last
//   response learns it is done instead of starting over;
// - terminating a filed upload forgets the upload, never the stored file
//   (other records may refer to the same bytes); so does expiry, which
//   also sweeps the records of filed uploads.
// Upload ids are checked (32 hex digits) before any call reaches here.

import { createHash } from 'node:crypto';
import { open, stat, truncate, unlink } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { FileStore as TusFileStore } from '@tus/file-store';
import { ERRORS, Upload } from '@tus/server';
import type { FileStore } from './store.ts';
import { CHECKSUM_MISMATCH, type Checksum } from './checksum.ts';
import { Sink } from './sink.ts';

export class NexusTusStore extends TusFileStore {
  private readonly files: FileStore;
  /** Checksums announced by requests, keyed by `${id}@${offset}` (the write they cover). */
  private readonly expected = new Map<string, Checksum>();

  constructor(directory: string, files: FileStore, expiryMs: number) {
    super({ directory, expirationPeriodInMilliseconds: expiryMs });
    this.files = files;
    // What we implement, as advertised in Tus-Extension. No defer-length: the
    // size limit is enforced when the upload is created.
    this.extensions = ['creation', 'creation-with-upload', 'termination', 'checksum', 'expiration'];
  }

  dataPath(id: string): string {
    return path.join(this.directory, id);
  }

  expect(id: string, offset: number, checksum: Checksum | undefined): void {
    const key = `${id}@${offset}`;
    if (checksum) this.expected.set(key, checksum);
    else this.expected.delete(key);
  }

  forget(id: string, offset: number): void {
    this.expected.delete(`${id}@${offset}`);
  }

  override async write(readable: Readable, id: string, offset: number): Promise<number> {
    const key = `${id}@${offset}`;
    const checksum = this.expected.get(key);
    this.expected.delete(key);
    const hash = checksum ? createHash(checksum.algorithm) : undefined;
    let received = 0;
    try {
      // The same writer as PUT (sink.ts): batched writev, background write-back.
      const sink = new Sink(await open(this.dataPath(id), 'r+'), offset);
      try {
        for await (const chunk of readable as AsyncIterable<Buffer>) {
          received += chunk.length;
          hash?.update(chunk);
          const wait = sink.write(chunk);
          if (wait) await wait;
        }
      } catch (err) {
        // Without a checksum, what arrived is kept and the client resumes
        // after it (that is the point of tus); with one, a cut body cannot be verified.
        await sink.close(!checksum).catch(() => undefined);
        throw err;
      }
      await sink.close(true);
    } catch (err) {
      if (checksum) await truncate(this.dataPath(id), offset);
      throw isTusError(err) ? err : ERRORS.FILE_WRITE_ERROR;
    }
    if (checksum && hash && !hash.digest().equals(checksum.digest)) {
      await truncate(this.dataPath(id), offset);
      throw CHECKSUM_MISMATCH;
    }
    return offset + received;
  }

  override async getUpload(id: string): Promise<Upload> {
    try {
      return await super.getUpload(id);
    } catch (err) {
      const filed = err === ERRORS.FILE_NO_LONGER_EXISTS ? await this.filedUpload(id) : undefined;
      if (filed) return filed;
      throw err;
    }
  }

  override async remove(id: string): Promise<void> {
    const present = await stat(this.dataPath(id)).then(() => true, () => false);
    if (present) return super.remove(id);
    if (!(await this.configstore.get(id))) throw ERRORS.FILE_NOT_FOUND;
    await this.configstore.delete(id);
  }

  /** The upload's record, if any (for ownership checks), without touching its data. */
  async record(id: string): Promise<Upload | undefined> {
    return (await this.configstore.get(id)) ?? undefined;
  }

  /** Bytes moved into the FileStore: report the upload as complete. */
  private async filedUpload(id: string): Promise<Upload | undefined> {
    const rec = await this.configstore.get(id);
    const sha = rec?.metadata?.sha256;
    if (!rec || typeof sha !== 'string' || rec.size === undefined || !(await this.files.onDisk(sha).catch(() => false))) return undefined;
    return new Upload({ id, size: rec.size, offset: rec.size, ...(rec.metadata ? { metadata: rec.metadata } : {}), ...(rec.creation_date ? { creation_date: rec.creation_date } : {}) });
  }

  /** Drops an upload and its bytes (hash mismatch at the end). */
  async discard(id: string): Promise<void> {
    await unlink(this.dataPath(id)).catch(() => undefined);
    await this.configstore.delete(id);
  }
}

function isTusError(err: unknown): err is { status_code: number; body: string } {
  return typeof err === 'object' && err !== null && typeof (err as { status_code?: unknown }).status_code === 'number';
}
