// What happens when a tus upload's last byte has arrived: the whole file is
// hashed and, if it is what the metadata promised, moved into the FileStore
// under its sha256 (the same fsync + atomic rename as PUT, then the row).
// Otherwise the upload is discarded. Runs once per upload even when the last
// PATCH and a HEAD race for it.

import type { Upload } from '@tus/server';
import type { FileStore } from './store.ts';
import type { NexusTusStore } from './tus-store.ts';
import { isSha256 } from './sha.ts';
import { mediaType } from './policy.ts';

export type FileOutcome = 'created' | 'existing' | 'mismatch';

/** Metadata keys: the two of SYNC_PROTOCOL §3 and the one the server adds at creation. */
export const META = { sha256: 'sha256', contentType: 'content_type', deviceId: 'nexus_device_id' } as const;

export class UploadFiler {
  private readonly store: FileStore;
  private readonly tus: NexusTusStore;
  private readonly inflight = new Map<string, Promise<FileOutcome>>();

  constructor(store: FileStore, tus: NexusTusStore) {
    this.store = store;
    this.tus = tus;
  }

  file(upload: Upload): Promise<FileOutcome> {
    let p = this.inflight.get(upload.id);
    if (!p) {
      p = this.run(upload).finally(() => this.inflight.delete(upload.id));
      this.inflight.set(upload.id, p);
    }
    return p;
  }

  private async run(upload: Upload): Promise<FileOutcome> {
    const sha = upload.metadata?.[META.sha256];
    const contentType = mediaType(upload.metadata?.[META.contentType] ?? undefined);
    const data = this.tus.dataPath(upload.id);
    const hashed = await this.store.hashFile(data).catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return undefined;
      throw err;
    });
    if (!hashed) {
      // Filed by an earlier call (its bytes moved), or already discarded.
      return isSha256(sha) && (await this.store.onDisk(sha)) ? 'existing' : 'mismatch';
    }
    if (!isSha256(sha) || !contentType || hashed.sha256 !== sha || hashed.sizeBytes !== upload.size) {
      await this.tus.discard(upload.id);
      return 'mismatch';
    }
    const created = await this.store.commit(data, sha, hashed.sizeBytes, {
      contentType,
      via: 'tus',
      deviceId: upload.metadata?.[META.deviceId] ?? undefined,
    });
    return created ? 'created' : 'existing';
  }
}
