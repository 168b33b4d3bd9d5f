// Pull (SYNC_PROTOCOL §4) and the device-side conflict rules of §6:
// - a change for a patient in tombstones.json is ignored;
// - a change for an entity with a pending outbox op is not applied (the
//   device wins: its op reaches the server later and wins by arrival order);
// - otherwise a change newer than the known version replaces the local file
//   (documents/images: bytes fetched with GET /v1/files/{sha256}, checked
//   against the hash before they are stored).
// Each page is applied before its cursor is saved: a crash re-pulls the page,
// and re-applying is harmless (versions are compared).

import { sha256Hex, type PullChange, type PullResponse } from '../protocol/index.ts';
import { httpError, problemOf, type Api } from './api.ts';
import { writeJson } from './fs.ts';
import { withIntent } from './journal.ts';
import { bodyJson } from './http.ts';
import { entityPath, isFileEntity } from './layout.ts';
import { readMeta, writeMeta, type SyncMeta } from './meta.ts';
import { FieldError } from './errors.ts';
import type { FieldDevice } from './device.ts';

export interface PullStats {
  pages: number;
  changes: number;
  applied: number;
  /** Not applied because a local op for the entity is pending (a conflict the device wins). */
  conflicts: number;
  tombstoned: number;
  stale: number;
  filesFetched: number;
  bytesFetched: number;
  cursorResets: number;
  parametersVersion: number | null;
}

export function emptyPullStats(): PullStats {
  return { pages: 0, changes: 0, applied: 0, conflicts: 0, tombstoned: 0, stale: 0, filesFetched: 0, bytesFetched: 0, cursorResets: 0, parametersVersion: null };
}

async function fetchFile(api: Api, sha: string): Promise<Uint8Array> {
  const res = await api.call({ method: 'GET', path: `/v1/files/${sha}` });
  if (res.status !== 200) throw httpError(res, `download of ${sha}`);
  if (sha256Hex(res.body) !== sha) throw new FieldError('file_hash_mismatch', `downloaded bytes do not hash to ${sha}`);
  return res.body;
}

/** Applies one change if newer than what is known; true when something was written. */
async function applyOne(dev: FieldDevice, api: Api, meta: SyncMeta, c: PullChange, stats: PullStats): Promise<boolean> {
  const known = meta.versions[c.entity_id]?.version ?? 0;
  if (c.version <= known) {
    stats.stale++;
    return false;
  }
  const file = entityPath(c.entity, meta.patient_id, c.entity_id);
  if (isFileEntity(c.entity)) {
    const bytes = await fetchFile(api, String(c.payload.sha256));
    await dev.fs.writeAtomic(file, bytes);
    stats.filesFetched++;
    stats.bytesFetched += bytes.byteLength;
  } else {
    await writeJson(dev.fs, file, c.payload);
    if (c.entity === 'patient') dev.patients.setPatient(meta.patient_id, c.payload, c.payload_sha256);
  }
  dev.patients.ensure(meta.patient_id);
  meta.versions[c.entity_id] = { entity: c.entity, version: c.version, payload_sha256: c.payload_sha256, origin: 'pull', origin_device: c.origin_device };
  stats.applied++;
  return true;
}

/** Deferred changes of entities that no longer have pending ops (see SyncMeta.deferred). */
export async function applyDeferred(dev: FieldDevice, api: Api, patientIds: Iterable<string>, stats: PullStats = emptyPullStats()): Promise<void> {
  for (const patientId of new Set(patientIds)) {
    // The index counts each folder's deferred changes: most folders need no read at all.
    if (dev.isTombstoned(patientId) || dev.patients.get(patientId)?.deferred === 0) continue;
    const meta = await readMeta(dev.fs, patientId);
    const ready = Object.entries(meta.deferred ?? {}).filter(([id]) => !dev.hasPending(id));
    if (ready.length === 0) continue;
    await withIntent(dev.fs, [patientId], 'apply deferred changes', async () => {
      for (const [id, c] of ready) {
        await applyOne(dev, api, meta, c, stats);
        delete meta.deferred![id];
      }
      await writeMeta(dev.fs, meta);
      dev.patients.setDeferred(patientId, Object.keys(meta.deferred ?? {}).length);
      await dev.patients.save();
    });
  }
}

async function applyPage(dev: FieldDevice, api: Api, changes: PullChange[], stats: PullStats): Promise<void> {
  const byPatient = new Map<string, PullChange[]>();
  for (const c of changes) byPatient.set(c.patient_id, [...(byPatient.get(c.patient_id) ?? []), c]);
  const live = [...byPatient.keys()].filter((p) => !dev.isTombstoned(p));
  // One intent for the page: files and sync_meta of these folders, then the index.
  await withIntent(dev.fs, live, 'pull page', async () => {
    await applyPatients(dev, api, byPatient, stats);
    await dev.patients.save();
  });
}

async function applyPatients(dev: FieldDevice, api: Api, byPatient: Map<string, PullChange[]>, stats: PullStats): Promise<void> {
  const now = new Date().toISOString();
  for (const [patientId, list] of byPatient) {
    if (dev.isTombstoned(patientId)) {
      stats.tombstoned += list.length;
      continue;
    }
    const meta = await readMeta(dev.fs, patientId);
    let changed = false;
    for (const c of list) {
      dev.state.max_version_seen = Math.max(dev.state.max_version_seen, c.version);
      if (dev.hasPending(c.entity_id)) {
        stats.conflicts++;
        const d = (meta.deferred ??= {});
        if (!d[c.entity_id] || d[c.entity_id]!.version < c.version) d[c.entity_id] = c;
        changed = true;
        continue;
      }
      if (await applyOne(dev, api, meta, c, stats)) changed = true;
    }
    if (changed) {
      meta.last_pulled_at = now;
      await writeMeta(dev.fs, meta);
      dev.patients.ensure(patientId);
      dev.patients.setDeferred(patientId, Object.keys(meta.deferred ?? {}).length);
    }
  }
}

export async function pullChanges(dev: FieldDevice, api: Api, opts: { limit?: number } = {}, stats: PullStats = emptyPullStats()): Promise<PullStats> {
  const limit = opts.limit ?? 500;
  for (;;) {
    const q = new URLSearchParams({ limit: String(limit) });
    if (dev.state.pull_cursor) q.set('cursor', dev.state.pull_cursor);
    const res = await api.call({ method: 'GET', path: `/v1/sync/pull?${q}` });
    const code = problemOf(res)?.code;
    if ((res.status === 410 && code === 'cursor_expired') || (res.status === 400 && code === 'invalid_cursor')) {
      if (!dev.state.pull_cursor || stats.cursorResets > 2) throw httpError(res, 'pull');
      // Start again from the current state; versions decide what is newer.
      dev.state.pull_cursor = null;
      stats.cursorResets++;
      continue;
    }
    if (res.status !== 200) throw httpError(res, 'pull');
    const page = bodyJson<PullResponse>(res)!;
    stats.pages++;
    stats.changes += page.changes.length;
    await applyPage(dev, api, page.changes, stats);
    dev.state.pull_cursor = page.cursor;
    dev.state.last_seq = Math.max(dev.state.last_seq, page.last_seq);
    dev.state.last_pull_at = new Date().toISOString();
    stats.parametersVersion = page.parameters_version;
    await dev.saveState();
    if (!page.has_more) return stats;
  }
}
