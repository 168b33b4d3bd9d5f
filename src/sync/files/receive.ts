// PUT /v1/files/{sha256}: the bytes are streamed to a temp file while being
// hashed and counted, never held whole in memory. Only bytes that hash to the
// promised sha256 are filed; on any failure the temp file is removed, so a
// failed upload leaves nothing behind (no file, no temp, no row).

import { createHash } from 'node:crypto';
import { open, type FileHandle } from 'node:fs/promises';
import { NexusError } from '../../core/errors.ts';
import type { FileStore } from './store.ts';
import { tooLarge, type FilePolicy } from './policy.ts';

export interface ReceiveOptions {
  sha256: string;
  contentType: string;
  policy: FilePolicy;
  deviceId?: string | undefined;
}

export interface Received {
  /** 'created' when this upload stored the file, 'existing' when it was already there. */
  outcome: 'created' | 'existing';
  sizeBytes: number;
}

/** Chunks smaller than this are gathered before a write, so tiny network reads do not mean tiny disk writes. */
const WRITE_BATCH = 256 * 1024;
/** Writes in flight at once: the disk works while the next bytes are read and hashed (memory: about 1 MiB). */
const WRITES_IN_FLIGHT = 4;

/** Positional writes, a few at a time, so reading and writing overlap; close() waits for all of them. */
class Sink {
  private readonly fh: FileHandle;
  private readonly inflight: Array<Promise<unknown>> = [];
  private position = 0;

  constructor(fh: FileHandle) {
    this.fh = fh;
  }

  async write(b: Buffer): Promise<void> {
    this.inflight.push(this.fh.write(b, 0, b.length, this.position));
    this.position += b.length;
    if (this.inflight.length >= WRITES_IN_FLIGHT) await this.inflight.shift();
  }

  async close(): Promise<void> {
    const results = await Promise.allSettled(this.inflight.splice(0));
    await this.fh.close();
    const failed = results.find((r) => r.status === 'rejected');
    if (failed) throw (failed as PromiseRejectedResult).reason;
  }
}

export async function receiveFile(store: FileStore, body: AsyncIterable<Buffer>, opts: ReceiveOptions): Promise<Received> {
  // Already stored: the bytes are still read and checked (the client must
  // learn if what it holds is not what it claims), but nothing is written.
  if ((await store.get(opts.sha256)) && (await store.onDisk(opts.sha256))) {
    const sizeBytes = await hashInto(body, opts, undefined);
    return { outcome: 'existing', sizeBytes };
  }
  const tmp = await store.tempPath('put');
  const sink = new Sink(await open(tmp, 'wx', 0o600));
  let sizeBytes: number;
  try {
    try {
      sizeBytes = await hashInto(body, opts, (b) => sink.write(b));
    } finally {
      await sink.close();
    }
    const created = await store.commit(tmp, opts.sha256, sizeBytes, { contentType: opts.contentType, via: 'put', deviceId: opts.deviceId });
    return { outcome: created ? 'created' : 'existing', sizeBytes };
  } catch (err) {
    await store.discard(tmp);
    throw err;
  }
}

/** Reads the body through the hash (and `write`, if given); throws on too many bytes or a wrong hash. */
async function hashInto(body: AsyncIterable<Buffer>, opts: ReceiveOptions, write: ((b: Buffer) => Promise<void>) | undefined): Promise<number> {
  const hash = createHash('sha256');
  let size = 0;
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  const flush = async (): Promise<void> => {
    if (!write || pendingBytes === 0) return;
    const b = pending.length === 1 ? pending[0]! : Buffer.concat(pending, pendingBytes);
    pending = [];
    pendingBytes = 0;
    await write(b);
  };
  for await (const chunk of body) {
    size += chunk.length;
    if (size > opts.policy.maxBytes) throw tooLarge(opts.policy);
    hash.update(chunk);
    if (write) {
      pending.push(chunk);
      pendingBytes += chunk.length;
      if (pendingBytes >= WRITE_BATCH) await flush();
    }
  }
  await flush();
  const actual = hash.digest('hex');
  if (actual !== opts.sha256) {
    throw new NexusError('file_hash_mismatch', `The bytes hash to ${actual}, not to ${opts.sha256}; nothing was kept.`, {
      status: 422,
      extra: { sha256: opts.sha256, actual_sha256: actual },
    });
  }
  return size;
}
