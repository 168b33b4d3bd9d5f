// PUT /v1/files/{sha256}: the bytes are streamed to a temp file while being
// hashed and counted, never held whole in memory. Only bytes that hash to the
// promised sha256 are filed; on any failure the temp file is removed, so a
// failed upload leaves nothing behind (no file, no temp, no row).

import { createHash } from 'node:crypto';
import { open } from 'node:fs/promises';
import { NexusError } from '../../core/errors.ts';
import type { FileStore } from './store.ts';
import { tooLarge, type FilePolicy } from './policy.ts';
import { Sink } from './sink.ts';

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
      sizeBytes = await hashInto(body, opts, sink);
    } catch (err) {
      // The body's failure is the one to report, not a write that failed after it.
      await sink.close(false).catch(() => undefined);
      throw err;
    }
    await sink.close(true);
    const created = await store.commit(tmp, opts.sha256, sizeBytes, { contentType: opts.contentType, via: 'put', deviceId: opts.deviceId });
    return { outcome: created ? 'created' : 'existing', sizeBytes };
  } catch (err) {
    await store.discard(tmp);
    throw err;
  }
}

/** Reads the body through the hash (and into `sink`, if given); throws on too many bytes or a wrong hash. */
async function hashInto(body: AsyncIterable<Buffer>, opts: ReceiveOptions, sink: Sink | undefined): Promise<number> {
  const hash = createHash('sha256');
  let size = 0;
  for await (const chunk of body) {
    size += chunk.length;
    if (size > opts.policy.maxBytes) throw tooLarge(opts.policy);
    hash.update(chunk);
    // The sink keeps the chunk itself until it is written: a stream never reuses a chunk it has emitted.
    const wait = sink?.write(chunk);
    if (wait) await wait;
  }
  const actual = hash.digest('hex');
  if (actual !== opts.sha256) {
    throw new NexusError('file_hash_mismatch', `The bytes hash to ${actual}, not to ${opts.sha256}; nothing was kept.`, {
      status: 422,
      extra: { sha256: opts.sha256, actual_sha256: actual },
    });
  }
  return size;
}
