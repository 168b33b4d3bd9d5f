// The SQL of a push, next to nothing else. Every value is bound; a batch's
// new ops travel as one jsonb array and are inserted by one statement.

import type pg from 'pg';
import type { DeviceIdentity } from './auth.ts';

export interface NewOpRow {
  seq: number;
  op_id: string | null;
  payload_sha256: string | null;
  status: 'applied' | 'rejected';
  error_code: string | null;
  error_message: string | null;
  entity: string | null;
  patient_id: string | null;
  entity_id: string | null;
  schema_version: number | null;
  base_version: number | null;
  recorded_at: string | null;
  raw: Record<string, unknown>;
}

export interface StoredOp {
  seq: number;
  op_id: string | null;
  payload_sha256: string | null;
  status: 'applied' | 'rejected';
  error_code: string | null;
  error_message: string | null;
  ingest_id: number;
}

/** Advisory lock class for the push order (see serialisePushes). */
const PUSH_ORDER_LOCK = 0x4e585055; // "NXPU"

/**
 * Serialises pushes that write, from before the transaction gets its id until
 * it commits. Server versions (ingest ids), transaction ids, commit order and
 * received_at then agree, which the ETL's transaction-id windows and "the op
 * that reached the server later wins" rely on (docs/architecture.md). Must be
 * the transaction's first statement. Returns the arrival time to record.
 */
export async function serialisePushes(tx: pg.PoolClient): Promise<Date> {
  const { rows } = await tx.query<{ at: Date }>('SELECT pg_advisory_xact_lock($1), clock_timestamp() AS at', [PUSH_ORDER_LOCK]);
  return rows[0]!.at;
}

/**
 * Creates the device's checkpoint row if missing and locks it until the
 * transaction ends (ON CONFLICT DO UPDATE takes the same row lock as SELECT …
 * FOR UPDATE, in one round trip). Returns the device's last_seq.
 */
export async function lockDevice(tx: pg.PoolClient, device: DeviceIdentity): Promise<number> {
  const { rows } = await tx.query<{ last_seq: string }>(
    `INSERT INTO nexus.sync_device AS d (device_id, groups, wg_ip) VALUES ($1, $2, $3)
     ON CONFLICT (device_id) DO UPDATE SET last_seen_at = now(), groups = EXCLUDED.groups, wg_ip = EXCLUDED.wg_ip
     RETURNING d.last_seq`,
    [device.deviceId, device.groups, device.wgIp],
  );
  return Number(rows[0]!.last_seq);
}

export async function findStored(tx: pg.PoolClient, deviceId: string, fromSeq: number, toSeq: number): Promise<Map<number, StoredOp>> {
  const { rows } = await tx.query<StoredOp & { seq: string; ingest_id: string }>(
    `SELECT seq, op_id, payload_sha256, status, error_code, error_message, ingest_id
       FROM staging.sync_inbound WHERE device_id = $1 AND seq BETWEEN $2 AND $3`,
    [deviceId, fromSeq, toSeq],
  );
  return new Map(rows.map((r) => [Number(r.seq), { ...r, seq: Number(r.seq), ingest_id: Number(r.ingest_id) }]));
}

/** Inserts the batch's new ops in seq order; returns seq → version (ingest_id). */
export async function insertOps(tx: pg.PoolClient, requestId: string, device: DeviceIdentity, rows: NewOpRow[], receivedAt: Date): Promise<Map<number, number>> {
  const { rows: out } = await tx.query<{ seq: string; ingest_id: string }>(
    `INSERT INTO staging.sync_inbound (request_id, device_id, device_groups, seq, op_id, payload_sha256, status,
       error_code, error_message, entity, patient_id, entity_id, schema_version, base_version, recorded_at, raw, received_at)
     SELECT $1, $2, $3, r.seq, r.op_id, r.payload_sha256, r.status, r.error_code, r.error_message, r.entity,
            r.patient_id, r.entity_id, r.schema_version, r.base_version, r.recorded_at, r.raw, $5
       FROM jsonb_to_recordset($4::jsonb) AS r(seq bigint, op_id text, payload_sha256 text, status text,
            error_code text, error_message text, entity text, patient_id uuid, entity_id uuid,
            schema_version integer, base_version bigint, recorded_at timestamptz, raw jsonb)
      ORDER BY r.seq
     RETURNING seq, ingest_id`,
    [requestId, device.deviceId, device.groups, JSON.stringify(rows), receivedAt],
  );
  return new Map(out.map((r) => [Number(r.seq), Number(r.ingest_id)]));
}
