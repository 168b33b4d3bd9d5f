// sync_meta.json, one per patient folder: the server version this device
// knows of each of the patient's entities (sent back as base_version on the
// next edit, compared with pulled versions).

import { readJson, writeJson, type FieldFs } from './fs.ts';
import { syncMetaPath } from './layout.ts';
import type { Entity, PullChange } from '../protocol/index.ts';

export interface KnownVersion {
  entity: Entity;
  version: number;
  payload_sha256: string;
  /** Who made this version: this device (push answer) or another one (pull). */
  origin: 'local' | 'pull';
  origin_device?: string;
}

export interface SyncMeta {
  patient_id: string;
  versions: Record<string, KnownVersion>;
  /**
   * Pulled changes not applied because a local op was pending (the newest per
   * entity). Once the entity has no pending op they are applied if still
   * newer than the known version: this is what makes a device converge when
   * its own op was rejected, or was stored before the other device's change
   * (a resend answered `duplicate`).
   */
  deferred?: Record<string, PullChange>;
  last_pushed_at: string | null;
  last_pulled_at: string | null;
}

export async function readMeta(fs: FieldFs, patientId: string): Promise<SyncMeta> {
  return (await readJson<SyncMeta>(fs, syncMetaPath(patientId))) ?? { patient_id: patientId, versions: {}, last_pushed_at: null, last_pulled_at: null };
}

export const writeMeta = (fs: FieldFs, meta: SyncMeta): Promise<void> => writeJson(fs, syncMetaPath(meta.patient_id), meta);
