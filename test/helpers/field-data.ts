// Device data shaped like ../shared/FIELD_DATA.md, and a way to land it in
// staging exactly as the sync API stores an applied op (for ETL tests that
// do not need HTTP).

import { payloadSha256, uuidv7 } from '../../src/protocol/index.ts';
import type { TestDb } from './db.ts';

export interface Op {
  op_id: string;
  entity: 'patient' | 'session' | 'document' | 'image';
  patient_id: string;
  entity_id: string;
  base_version?: number | null;
  payload: Record<string, unknown>;
}

let counter = 0;
const pick = <T>(xs: readonly T[], i: number): T => xs[i % xs.length]!;

export function patient(patientId = uuidv7(), over: Record<string, unknown> = {}): Op {
  const i = counter++;
  const payload = {
    patient_id: patientId,
    external_ref: `KV-${1000 + i}`,
    first_name: pick(['Ada', 'Ben', 'Cleo', 'Dara'], i),
    last_name: pick(['Berger', 'Kaya', 'Novak'], i),
    birth_date: `19${40 + (i % 50)}-0${1 + (i % 9)}-1${i % 9}`,
    sex: pick(['female', 'male', 'diverse'], i),
    care_level: i % 6,
    site: pick(['north', 'south', 'clinic'], i),
    tags: ['diabetes'],
    app_version: '3.4.1',
    ...over,
  };
  return { op_id: uuidv7(), entity: 'patient', patient_id: patientId, entity_id: patientId, payload };
}

export function session(patientId: string, sessionId = uuidv7(), over: Record<string, unknown> = {}): Op {
  const i = counter++;
  const start = new Date(Date.UTC(2026, 10, 1 + (i % 25), 8 + (i % 8), 0, 0));
  const payload = {
    session_id: sessionId,
    patient_id: patientId,
    type: pick(['home_visit', 'clinic_visit', 'phone_call', 'therapy', 'assessment'], i),
    status: 'completed',
    started_at: start.toISOString(),
    ended_at: new Date(start.getTime() + 32 * 60_000).toISOString(),
    clinician: `nurse-0${i % 9}`,
    form: { id: 'visit-standard', version: 4 },
    measurements: { pulse_bpm: 60 + (i % 50), systolic_mmhg: 110 + (i % 60), spo2_pct: 90 + (i % 10), temperature_c: 36.8 },
    answers: { mobility: 'walker' },
    documents: [],
    images: [],
    app_version: '3.4.1',
    ...over,
  };
  return { op_id: uuidv7(), entity: 'session', patient_id: patientId, entity_id: sessionId, payload };
}

export function document(patientId: string, sha256 = 'a'.repeat(64)): Op {
  return {
    op_id: uuidv7(),
    entity: 'document',
    patient_id: patientId,
    entity_id: uuidv7(),
    payload: { sha256, size: 12345, content_type: 'application/pdf', file_name: 'referral.pdf', captured_at: '2026-11-20T13:40:00Z' },
  };
}

export interface Device {
  id: string;
  groups: string[];
  seq: number;
}

export function device(groups = ['default']): Device {
  return { id: uuidv7(), groups, seq: 0 };
}

/**
 * Appends ops as one push would (one transaction, consecutive seq, applied),
 * through the nexus_sync role. Returns the versions (ingest ids) in order.
 */
export async function land(t: TestDb, dev: Device, ops: Op[]): Promise<number[]> {
  const rows = ops.map((op) => {
    dev.seq += 1;
    const wire = { ...op, seq: dev.seq, schema_version: 1, recorded_at: new Date().toISOString(), payload_sha256: payloadSha256(op.payload) };
    return { seq: dev.seq, op_id: op.op_id, payload_sha256: wire.payload_sha256, entity: op.entity, patient_id: op.patient_id, entity_id: op.entity_id, base_version: op.base_version ?? null, recorded_at: wire.recorded_at, raw: wire };
  });
  const c = await t.db.pool('nexus_sync').connect();
  try {
    await c.query('BEGIN');
    // The push's ordering lock (src/sync/push-sql.ts serialisePushes), taken the same way.
    const { rows: [lock] } = await c.query<{ at: Date }>('SELECT pg_advisory_xact_lock($1), clock_timestamp() AS at', [0x4e585055]);
    const res = await c.query<{ ingest_id: string }>(
    `INSERT INTO staging.sync_inbound (request_id, device_id, device_groups, seq, op_id, payload_sha256, status, entity, patient_id, entity_id, schema_version, base_version, recorded_at, raw, received_at)
     SELECT gen_random_uuid(), $1, $2, r.seq, r.op_id, r.payload_sha256, 'applied', r.entity, r.patient_id, r.entity_id, 1, r.base_version, r.recorded_at, r.raw, $4
     FROM jsonb_to_recordset($3::jsonb) AS r(seq bigint, op_id text, payload_sha256 text, entity text, patient_id uuid, entity_id uuid, base_version bigint, recorded_at timestamptz, raw jsonb)
     ORDER BY r.seq RETURNING ingest_id`,
    [dev.id, dev.groups, JSON.stringify(rows), lock!.at],
    );
    await c.query('COMMIT');
    return res.rows.map((r) => Number(r.ingest_id));
  } catch (err) {
    await c.query('ROLLBACK');
    throw err;
  } finally {
    c.release();
  }
}
