// Writes an upload's bytes to its temp file as they arrive, at the cost of
// as little CPU and latency as the machine allows (bench/upload.ts):
// - the received chunks themselves are handed to writev, a batch at a time:
//   gathering them into one buffer first copies every byte once more and
//   allocates a buffer per batch, which V8 counts as external memory; that
//   doubled how often it ran a full mark-compact during an upload (TLS's
//   own 16 KiB chunks already cost one about every 32 MiB);
// - a few writes are in flight while the next bytes are read and hashed;
// - every WRITEBACK_BYTES a datasync starts in the background, so the disk
//   works during the upload instead of all at the final fsync (which
//   FileStore.commit still does: durability rests on it, not on these).

import type { FileHandle } from 'node:fs/promises';

/** Bytes gathered before a write: few syscalls, bounded memory per upload. */
const WRITE_BATCH = 1024 * 1024;
/** Chunks per writev, far below IOV_MAX even when a slow link sends tiny chunks. */
const MAX_IOV = 256;
/** Writes in flight at once (memory per upload: about WRITE_BATCH × (this + 1)). */
const WRITES_IN_FLIGHT = 2;
/** Background datasync after this many new bytes, at most one at a time. */
const WRITEBACK_BYTES = 8 * 1024 * 1024;

export class Sink {
  private readonly fh: FileHandle;
  private readonly inflight: Array<Promise<unknown>> = [];
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private position = 0;
  private unsynced = 0;
  private syncing: Promise<void> | undefined;
  private failure: unknown;

  /** Writes from `start` on (a resumed tus upload continues at its offset). */
  constructor(fh: FileHandle, start = 0) {
    this.fh = fh;
    this.position = start;
  }

  /**
   * Takes the chunk (the caller must not reuse it). Returns a promise to
   * wait for before the next chunk when a batch went out, else undefined:
   * most chunks cost no promise at all.
   */
  write(chunk: Buffer): Promise<void> | undefined {
    if (chunk.length === 0) return undefined;
    this.pending.push(chunk);
    this.pendingBytes += chunk.length;
    return this.pendingBytes >= WRITE_BATCH || this.pending.length >= MAX_IOV ? this.flush() : undefined;
  }

  /**
   * Writes what is pending (unless the upload failed anyway: `keep` false),
   * waits for every write and datasync, then closes the file. Throws the
   * first write failure.
   */
  async close(keep: boolean): Promise<void> {
    try {
      // flush() only ever throws the recorded failure, thrown below.
      if (keep) await this.flush().catch(() => undefined);
      await Promise.allSettled(this.inflight.splice(0));
      await this.syncing;
    } finally {
      await this.fh.close();
    }
    if (this.failure !== undefined) throw this.failure;
  }

  private async flush(): Promise<void> {
    if (this.failure !== undefined) throw this.failure;
    if (this.pendingBytes === 0) return;
    const bufs = this.pending;
    const length = this.pendingBytes;
    this.pending = [];
    this.pendingBytes = 0;
    const at = this.position;
    this.position += length;
    const w = this.fh
      .writev(bufs, at)
      .then(({ bytesWritten }) => {
        if (bytesWritten !== length) throw new Error(`short write: ${bytesWritten} of ${length} bytes`);
        this.wroteBytes(length);
      })
      .catch((err: unknown) => {
        this.failure ??= err;
      });
    this.inflight.push(w);
    if (this.inflight.length >= WRITES_IN_FLIGHT) await this.inflight.shift();
    if (this.failure !== undefined) throw this.failure;
  }

  private wroteBytes(n: number): void {
    this.unsynced += n;
    if (this.unsynced < WRITEBACK_BYTES || this.syncing) return;
    this.unsynced = 0;
    this.syncing = this.fh.datasync().then(
      () => {
        this.syncing = undefined;
      },
      (err: unknown) => {
        this.syncing = undefined;
        this.failure ??= err;
      },
    );
  }
}
