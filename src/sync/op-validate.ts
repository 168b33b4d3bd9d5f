// Judging one pushed op on its own (SYNC_PROTOCOL §2). An op that fails is
// not an error of the request: it becomes a `rejected` result, is stored with
// its reason and still consumes its seq, so one bad record never blocks the
// device's queue. Unknown extra fields are kept (newer app versions).

import {
  ENTITIES, FILE_ENTITIES, DEFAULT_LIMITS, type Entity, type ErrorCode,
  isPlainObject, isRfc3339, isSha256, isUuid, canonicalJson, sha256Hex,
} from '../protocol/index.ts';

export interface OpRejection {
  code: ErrorCode;
  message: string;
}

/** Typed columns of an accepted op; every value is safe to cast in SQL. */
export interface AcceptedOp {
  entity: Entity;
  patientId: string;
  entityId: string;
  schemaVersion: number;
  baseVersion: number | null;
  recordedAt: string;
  /** For document/image ops: the file's sha256. */
  fileSha256: string | null;
}

export type OpVerdict = { ok: true; op: AcceptedOp } | { ok: false; rejection: OpRejection };

const reject = (code: ErrorCode, message: string): OpVerdict => ({ ok: false, rejection: { code, message } });

const isCount = (v: unknown, min: number): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= min;

/** RFC 3339 that both JavaScript and PostgreSQL read the same way (years 1–9999). */
function normalTime(v: unknown): string | undefined {
  if (!isRfc3339(v)) return undefined;
  const d = new Date(v);
  const year = d.getUTCFullYear();
  return year >= 1 && year <= 9999 ? d.toISOString() : undefined;
}

export function judgeOp(op: Record<string, unknown>, maxPayloadBytes: number = DEFAULT_LIMITS.maxPayloadBytes): OpVerdict {
  if (!isUuid(op.op_id)) return reject('invalid_op', 'op_id must be a UUID string.');
  if (!isCount(op.schema_version, 1) || op.schema_version > 2_147_483_647) return reject('invalid_op', 'schema_version must be a whole number of at least 1.');
  const recordedAt = normalTime(op.recorded_at);
  if (!recordedAt) return reject('invalid_op', 'recorded_at must be an RFC 3339 time, e.g. 2026-11-26T08:00:00.000Z.');
  if (op.base_version !== undefined && op.base_version !== null && !isCount(op.base_version, 0)) {
    return reject('invalid_op', 'base_version must be a whole number of at least 0, or null.');
  }
  if (typeof op.entity !== 'string' || !(ENTITIES as readonly string[]).includes(op.entity)) {
    return reject('unknown_entity', `entity must be one of ${ENTITIES.join(', ')}.`);
  }
  const entity = op.entity as Entity;
  if (!isUuid(op.patient_id)) return reject('invalid_id', 'patient_id is missing or not a UUID.');
  if (!isUuid(op.entity_id)) return reject('invalid_id', 'entity_id is missing or not a UUID.');
  if (entity === 'patient' && op.entity_id.toLowerCase() !== op.patient_id.toLowerCase()) {
    return reject('invalid_id', 'for a patient op, entity_id must equal patient_id.');
  }
  if (!isPlainObject(op.payload)) return reject('invalid_op', 'payload must be a JSON object.');
  let canonical: string;
  try {
    canonical = canonicalJson(op.payload);
  } catch {
    return reject('invalid_op', 'payload cannot be represented as canonical JSON (RFC 8785).');
  }
  if (Buffer.byteLength(canonical) > maxPayloadBytes) {
    return reject('payload_too_large', `payload is larger than ${maxPayloadBytes} bytes.`);
  }
  if (typeof op.payload_sha256 !== 'string' || op.payload_sha256 !== sha256Hex(canonical)) {
    return reject('payload_hash_mismatch', 'payload_sha256 is not the lowercase hex SHA-256 of the RFC 8785 (JCS) form of payload.');
  }
  let fileSha256: string | null = null;
  if (FILE_ENTITIES.includes(entity)) {
    const p = op.payload;
    if (!isSha256(p.sha256)) return reject('invalid_file_metadata', 'payload.sha256 must be 64 lowercase hex digits.');
    if (!isCount(p.size, 0)) return reject('invalid_file_metadata', 'payload.size must be the file size in bytes.');
    if (typeof p.content_type !== 'string' || !p.content_type.trim()) {
      return reject('invalid_file_metadata', 'payload.content_type is required, e.g. application/pdf.');
    }
    fileSha256 = p.sha256;
  }
  return {
    ok: true,
    op: {
      entity,
      patientId: op.patient_id.toLowerCase(),
      entityId: op.entity_id.toLowerCase(),
      schemaVersion: op.schema_version,
      baseVersion: (op.base_version as number | null | undefined) ?? null,
      recordedAt,
      fileSha256,
    },
  };
}
