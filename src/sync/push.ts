// Push (SYNC_PROTOCOL §2): the device's outbound queue lands in
// staging.sync_inbound. One transaction per request: lock the device's
// checkpoint row, answer resends from what is stored, insert every new op in
// one set-based statement, advance last_seq, log the request, commit, and
// only then answer. Writes go through the nexus_sync role's pool.

import type pg from 'pg';
import { NexusError } from '../core/errors.ts';
import type { PushResponse, PushResult } from '../protocol/index.ts';
import type { DeviceIdentity } from './auth.ts';
import { parseBatch, type PushLimits } from './push-batch.ts';
import { judgeOp, type OpVerdict } from './op-validate.ts';
import { hasUnstorableText, toStorable } from './storable.ts';
import { recordSyncRequest } from './request-log.ts';
import { enqueueStagingEtl } from './etl-hook.ts';
import { asServiceError } from './failures.ts';
import { findStored, insertOps, lockDevice, serialisePushes, type NewOpRow, type StoredOp } from './push-sql.ts';

export interface PushDeps {
  /** A pool that logs in as nexus_sync. */
  pool: pg.Pool;
  files: { missing(sha256s: string[]): Promise<string[]> };
  limits: PushLimits;
}

export interface PushRequestInfo {
  requestId: string;
  receivedAt: Date;
  requestBytes: number | null;
  /** Milliseconds since the request arrived, for the log row. */
  elapsedMs: () => number;
}

interface Judged {
  seq: number;
  /** What is stored and compared for resends (unstorable characters replaced). */
  raw: Record<string, unknown>;
  opId: string | null;
  payloadSha256: string | null;
  verdict: OpVerdict;
}

function judge(op: Record<string, unknown>, limits: PushLimits): Judged {
  const unstorable = hasUnstorableText(op);
  const raw = unstorable ? (toStorable(op) as Record<string, unknown>) : op;
  const verdict: OpVerdict = unstorable
    ? { ok: false, rejection: { code: 'invalid_op', message: 'the op contains U+0000 or an unpaired surrogate, which the server cannot store as JSON' } }
    : judgeOp(op, limits.maxPayloadBytes);
  return {
    seq: op.seq as number,
    raw,
    opId: typeof raw.op_id === 'string' ? raw.op_id : null,
    payloadSha256: typeof raw.payload_sha256 === 'string' ? raw.payload_sha256 : null,
    verdict,
  };
}

function toRow(j: Judged): NewOpRow {
  if (j.verdict.ok) {
    const o = j.verdict.op;
    return {
      seq: j.seq, op_id: j.opId, payload_sha256: j.payloadSha256, status: 'applied', error_code: null, error_message: null,
      entity: o.entity, patient_id: o.patientId, entity_id: o.entityId, schema_version: o.schemaVersion,
      base_version: o.baseVersion, recorded_at: o.recordedAt, raw: j.raw,
    };
  }
  const known = (v: unknown) => (typeof v === 'string' && /^[0-9a-f-]{36}$/i.test(v) ? v : null);
  const entity = typeof j.raw.entity === 'string' && ['patient', 'session', 'document', 'image'].includes(j.raw.entity) ? j.raw.entity : null;
  return {
    seq: j.seq, op_id: j.opId, payload_sha256: j.payloadSha256, status: 'rejected',
    error_code: j.verdict.rejection.code, error_message: j.verdict.rejection.message,
    entity, patient_id: known(j.raw.patient_id), entity_id: known(j.raw.entity_id),
    schema_version: null, base_version: null, recorded_at: null, raw: j.raw,
  };
}

/** The original outcome of a resent op, or a seq_reused error. */
function resendResult(j: Judged, stored: StoredOp | undefined): PushResult {
  if (!stored || stored.op_id !== j.opId || stored.payload_sha256 !== j.payloadSha256) {
    throw new NexusError(
      'seq_reused',
      stored
        ? `seq ${j.seq} was already used by a different op (op_id or payload_sha256 differ); nothing from this batch was written.`
        : `seq ${j.seq} is no longer on record and cannot be resent; nothing from this batch was written.`,
      { status: 409, extra: { seq: j.seq } },
    );
  }
  if (stored.status === 'applied') return { op_id: j.opId ?? '', seq: j.seq, status: 'duplicate', version: stored.ingest_id };
  return { op_id: j.opId ?? '', seq: j.seq, status: 'rejected', error: { code: stored.error_code ?? 'invalid_op', message: stored.error_message ?? '' } };
}

export async function push(deps: PushDeps, device: DeviceIdentity, info: PushRequestInfo, body: unknown): Promise<PushResponse> {
  const batch = parseBatch(body, deps.limits);
  // Hashing and validation happen before the device's row is locked.
  const judged = batch.ops.map((op) => judge(op, deps.limits));
  const client = await deps.pool.connect().catch((err: unknown) => Promise.reject(asServiceError(err)));
  let results: PushResult[];
  let lastSeq: number;
  try {
    await client.query('BEGIN');
    const receivedAt = await serialisePushes(client);
    const previous = await lockDevice(client, device);
    if (judged.length > 0 && batch.firstSeq > previous + 1) {
      throw new NexusError('seq_gap', `The first seq of this batch is ${batch.firstSeq}, but the server expects ${previous + 1}; nothing was written.`, {
        status: 409,
        extra: { expected_seq: previous + 1, last_seq: previous },
      });
    }
    const resent = judged.filter((j) => j.seq <= previous);
    const fresh = judged.filter((j) => j.seq > previous);
    const stored = resent.length ? await findStored(client, device.deviceId, resent[0]!.seq, resent[resent.length - 1]!.seq) : new Map<number, StoredOp>();
    results = resent.map((j) => resendResult(j, stored.get(j.seq)));
    const rows = fresh.map(toRow);
    const versions = rows.length ? await insertOps(client, info.requestId, device, rows, receivedAt) : new Map<number, number>();
    for (const [i, j] of fresh.entries()) {
      const row = rows[i]!;
      results.push(
        row.status === 'applied'
          ? { op_id: j.opId ?? '', seq: j.seq, status: 'applied', version: versions.get(j.seq)! }
          : { op_id: j.opId ?? '', seq: j.seq, status: 'rejected', error: { code: row.error_code!, message: row.error_message! } },
      );
    }
    lastSeq = fresh.length ? fresh[fresh.length - 1]!.seq : previous;
    const counts = countResults(results);
    if (fresh.length) {
      await client.query('UPDATE nexus.sync_device SET last_seq = $2, last_push_at = now() WHERE device_id = $1', [device.deviceId, lastSeq]);
      await enqueueStagingEtl(client);
    }
    await recordSyncRequest(client, {
      requestId: info.requestId, direction: 'push', deviceId: device.deviceId, requestedAt: info.receivedAt, httpStatus: 200,
      opCount: results.length, appliedCount: counts.applied, duplicateCount: counts.duplicate, rejectedCount: counts.rejected,
      requestBytes: info.requestBytes, durationMs: info.elapsedMs(), lastSeq,
    });
    await client.query('COMMIT');
  } catch (err) {
    const broken = await client.query('ROLLBACK').then(() => false, () => true);
    client.release(broken); // a connection that cannot roll back is not reused
    throw asServiceError(err);
  }
  client.release();
  const fileShas = judged.flatMap((j, i) => (results[i]!.status !== 'rejected' && j.verdict.ok && j.verdict.op.fileSha256 ? [j.verdict.op.fileSha256] : []));
  const missing = fileShas.length ? await deps.files.missing(fileShas).catch((err: unknown) => Promise.reject(asServiceError(err))) : [];
  return { last_seq: lastSeq, results, missing_files: missing, server_time: new Date().toISOString() };
}

export function countResults(results: PushResult[]): { applied: number; duplicate: number; rejected: number } {
  const c = { applied: 0, duplicate: 0, rejected: 0 };
  for (const r of results) c[r.status] += 1;
  return c;
}
