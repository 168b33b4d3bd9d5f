// What `nexus field status` shows: the outbox (length, oldest op's age), dead
// letters, the last sync and the pull cursor.

import { deadLetterNames, outboxSeqs, readOp } from './outbox.ts';
import { readParameters } from './state.ts';
import type { FieldDevice } from './device.ts';

export interface DeviceStatus {
  device_id: string;
  outbox: { length: number; oldest_seq: number | null; oldest_recorded_at: string | null; oldest_age_seconds: number | null };
  deadletters: number;
  next_seq: number;
  last_seq: number;
  last_sync_at: string | null;
  last_sync_error: { code: string; message: string; at: string } | null;
  pull_cursor: string | null;
  parameters_version: number | null;
  tombstones: number;
}

export async function deviceStatus(dev: FieldDevice, now = Date.now()): Promise<DeviceStatus> {
  const seqs = await outboxSeqs(dev.fs);
  const oldest = seqs.length ? await readOp(dev.fs, seqs[0]!) : null;
  const dead = (await deadLetterNames(dev.fs)).length;
  const params = await readParameters(dev.fs);
  const s = dev.state;
  return {
    device_id: s.device_id,
    outbox: {
      length: seqs.length,
      oldest_seq: oldest?.seq ?? null,
      oldest_recorded_at: oldest?.recorded_at ?? null,
      oldest_age_seconds: oldest ? Math.max(0, Math.round((now - Date.parse(oldest.recorded_at)) / 1000)) : null,
    },
    deadletters: dead,
    next_seq: s.next_seq,
    last_seq: s.last_seq,
    last_sync_at: s.last_sync_at,
    last_sync_error: s.last_sync_error,
    pull_cursor: s.pull_cursor,
    parameters_version: params?.version ?? s.parameters_version,
    tombstones: dev.tombstones.length,
  };
}
