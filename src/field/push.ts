// Push (SYNC_PROTOCOL §2): the outbox in seq order, in batches of consecutive
// seqs within the server's limits. Per result: applied/duplicate → the
// version goes into sync_meta.json, missing bytes are uploaded, then the
// outbox file goes; rejected → deadletter/ with the server's error. The
// outbox file is always removed last, so a crash anywhere means a resend,
// which the server answers `duplicate` without storing anything twice.
//
// Recovery from the server's whole-batch refusals:
// - 409 seq_gap (expected_seq): the server never stored the seqs we start
//   from; the outbox is renumbered from expected_seq (renumber.ts).
// - 409 seq_reused: our counter went back (device folder restored). The
//   server's last_seq L is asked (empty push); ops with seq ≤ L are sent one
//   at a time and settle as duplicate/rejected, or, still seq_reused, were
//   never stored: they and every later op are renumbered from L + 1.
// - 400 invalid_batch: the batch is retried one op at a time; a single op the
//   server cannot even parse goes to deadletter/ locally (code invalid_batch)
//   and the next op's seq_gap closes the hole.
// - 413 batch_too_large: smaller batches (the server's max_ops/max_bytes).

import { DEFAULT_LIMITS, type PushOp, type PushResponse, type PushResult } from '../protocol/index.ts';
import { httpError, problemOf, type Api } from './api.ts';
import { bodyJson } from './http.ts';
import { outboxPath } from './layout.ts';
import { readMeta, writeMeta } from './meta.ts';
import { deadLetter, outboxSeqs, readOp, removeOp } from './outbox.ts';
import { renumberAll } from './renumber.ts';
import { applyDeferred } from './pull.ts';
import { uploadMissing, type UploadOptions } from './upload.ts';
import type { FieldDevice } from './device.ts';

export interface PushStats {
  batches: number;
  applied: number;
  duplicate: number;
  rejected: number;
  uploaded: number;
  uploadedBytes: number;
  uploadFailures: number;
  renumbered: number;
}

export interface PushOptions extends UploadOptions {
  maxOps?: number;
  maxBytes?: number;
}

const enc = new TextEncoder();
const size = (op: PushOp): number => enc.encode(JSON.stringify(op)).byteLength + 1;

export function emptyPushStats(): PushStats {
  return { batches: 0, applied: 0, duplicate: 0, rejected: 0, uploaded: 0, uploadedBytes: 0, uploadFailures: 0, renumbered: 0 };
}

/** The next batch: consecutive seqs from the lowest, within the limits (16 KiB kept for the envelope). */
async function nextBatch(dev: FieldDevice, maxOps: number, maxBytes: number): Promise<PushOp[]> {
  const batch: PushOp[] = [];
  let bytes = 16 * 1024;
  for (const seq of await outboxSeqs(dev.fs)) {
    if (batch.length >= maxOps || (batch.length && seq !== batch[batch.length - 1]!.seq + 1)) break;
    const op = await readOp(dev.fs, seq);
    if (!op) break;
    bytes += size(op);
    if (batch.length && bytes > maxBytes) break;
    batch.push(op);
  }
  return batch;
}

async function post(api: Api, ops: PushOp[]) {
  return api.call({ method: 'POST', path: '/v1/sync/push', json: { ops } });
}

/** Settles one answered batch (see the file header for the order of writes). */
async function settle(dev: FieldDevice, api: Api, batch: PushOp[], body: PushResponse, stats: PushStats, opts: PushOptions): Promise<void> {
  const bySeq = new Map<number, PushResult>(body.results.map((r) => [r.seq, r]));
  const ok: PushOp[] = [];
  const byPatient = new Map<string, Array<{ op: PushOp; version: number }>>();
  for (const op of batch) {
    const r = bySeq.get(op.seq);
    if (!r) continue;
    if (r.status === 'rejected') {
      await deadLetter(dev.fs, op, r.error);
      dev.notePending(op.entity_id, -1);
      stats.rejected++;
      continue;
    }
    stats[r.status]++;
    ok.push(op);
    dev.state.max_version_seen = Math.max(dev.state.max_version_seen, r.version);
    if (!dev.isTombstoned(op.patient_id)) byPatient.set(op.patient_id, [...(byPatient.get(op.patient_id) ?? []), { op, version: r.version }]);
  }
  const now = new Date().toISOString();
  for (const [patientId, items] of byPatient) {
    const meta = await readMeta(dev.fs, patientId);
    for (const { op, version } of items) {
      const known = meta.versions[op.entity_id];
      if (!known || known.version < version) meta.versions[op.entity_id] = { entity: op.entity, version, payload_sha256: op.payload_sha256, origin: 'local' };
    }
    meta.last_pushed_at = now;
    await writeMeta(dev.fs, meta);
  }
  dev.state.last_seq = Math.max(dev.state.last_seq, body.last_seq);
  dev.state.last_push_at = now;
  await dev.saveState();
  if (body.missing_files.length) await uploadMissing(dev, api, ok, body.missing_files, stats, opts);
  for (const op of ok) {
    await removeOp(dev.fs, op.seq);
    dev.notePending(op.entity_id, -1);
  }
  await applyDeferred(dev, api, batch.map((o) => o.patient_id));
}

async function serverLastSeq(api: Api): Promise<number> {
  const res = await post(api, []);
  if (res.status !== 200) throw httpError(res, 'push');
  return bodyJson<PushResponse>(res)!.last_seq;
}

/** 409 seq_reused: see the file header. */
async function reconcileReused(dev: FieldDevice, api: Api, stats: PushStats, opts: PushOptions): Promise<void> {
  const last = await serverLastSeq(api);
  for (const seq of await outboxSeqs(dev.fs)) {
    if (seq > last) break;
    const op = (await readOp(dev.fs, seq))!;
    const res = await post(api, [op]);
    if (res.status === 200) await settle(dev, api, [op], bodyJson<PushResponse>(res)!, stats, opts);
    else if (res.status === 409 && problemOf(res)?.code === 'seq_reused') break;
    else throw httpError(res, 'push');
  }
  stats.renumbered += await renumberAll(dev, last + 1);
}

export async function pushOutbox(dev: FieldDevice, api: Api, opts: PushOptions = {}, stats: PushStats = emptyPushStats()): Promise<PushStats> {
  let maxOps = opts.maxOps ?? DEFAULT_LIMITS.maxOpsPerPush;
  let maxBytes = opts.maxBytes ?? DEFAULT_LIMITS.maxPushBytes;
  let singles = 0; // batches to send one op at a time after invalid_batch
  let recoveries = 0;
  for (;;) {
    const batch = await nextBatch(dev, singles > 0 ? 1 : maxOps, maxBytes);
    if (batch.length === 0) return stats;
    const res = await post(api, batch);
    stats.batches++;
    if (res.status === 200) {
      await settle(dev, api, batch, bodyJson<PushResponse>(res)!, stats, opts);
      if (singles > 0) singles--;
      continue;
    }
    const p = problemOf(res);
    if (++recoveries > 1000) throw httpError(res, 'push keeps failing');
    if (res.status === 409 && p?.code === 'seq_gap' && typeof p.expected_seq === 'number' && p.expected_seq < batch[0]!.seq) {
      stats.renumbered += await renumberAll(dev, p.expected_seq);
    } else if (res.status === 409 && p?.code === 'seq_reused') {
      await reconcileReused(dev, api, stats, opts);
    } else if (res.status === 400 && p?.code === 'invalid_batch') {
      if (batch.length === 1) {
        await deadLetter(dev.fs, batch[0]!, { code: 'invalid_batch', message: p.detail }, false);
        dev.notePending(batch[0]!.entity_id, -1);
        stats.rejected++;
      } else singles = batch.length;
    } else if (res.status === 413 && p?.code === 'batch_too_large') {
      const serverOps = typeof p.max_ops === 'number' ? p.max_ops : maxOps;
      const serverBytes = typeof p.max_bytes === 'number' ? p.max_bytes : maxBytes;
      if (batch.length === 1 && size(batch[0]!) + 16 * 1024 > serverBytes) {
        await deadLetter(dev.fs, batch[0]!, { code: 'batch_too_large', message: p.detail }, false);
        dev.notePending(batch[0]!.entity_id, -1);
        stats.rejected++;
      }
      maxOps = Math.max(1, Math.min(serverOps, Math.ceil(batch.length / 2)));
      maxBytes = Math.min(maxBytes, serverBytes);
    } else {
      throw httpError(res, `push of ${outboxPath(batch[0]!.seq)}…`);
    }
  }
}
