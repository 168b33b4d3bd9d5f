// The fleet's final check, against the server's own tables:
// 1. exactly once: every op any device created is in staging.sync_inbound
//    exactly once (by op_id), and nothing else arrived from these devices;
// 2. warehouse: every applied op reached the pull feed (mart_field.changes)
//    or the quarantine, once the ETL has settled;
// 3. convergence: every device holds, for every entity of a patient of its
//    groups that it has not deleted locally, the server's latest version
//    (highest version = last arrival) with the same content hash.

import type { DbAccess } from '../db/connection.ts';
import { payloadSha256, sha256Hex, type Entity } from '../protocol/index.ts';
import { entityPath, readJson, readMeta, type FieldDevice } from '../field/index.ts';

export interface CheckReport {
  ok: boolean;
  opsCreated: number;
  opsInStaging: number;
  missingInStaging: number;
  duplicatedInStaging: number;
  unexpectedInStaging: number;
  rejected: number;
  notInWarehouse: number;
  entities: number;
  divergent: number;
  problems: string[];
}

interface Latest {
  entity_id: string;
  entity: Entity;
  patient_id: string;
  version: string;
  payload_sha256: string;
  file_sha256: string | null;
  /** The patient's groups in the pull feed (null: not there yet). */
  groups: string[] | null;
}

export interface FleetMember {
  device: FieldDevice;
  groups: string[];
  opIds: string[];
}

/** The ETL models the pull feed is built from. */
export const FEED_MODELS = {
  warehouse: ['dim_device', 'dim_entity', 'fct_transactions', 'fct_events'],
  marts: ['mart_field_patients', 'mart_field_changes'],
};

/**
 * Whether a pull started now brings a device everything these devices pushed
 * so far: the warehouse models' watermarks are past their last staging row,
 * the feed's models' watermarks are past the last warehouse load, and the
 * cluster's oldest running transaction is past the last feed row (a pull
 * only serves rows below its snapshot's xmin, so a long transaction anywhere
 * holds every pull back). The same rule as the tests' settle(), narrowed to
 * the models the pull feed is built from. `null`: every device.
 */
export async function feedCaughtUp(db: DbAccess, deviceIds: string[] | null): Promise<boolean> {
  const { rows: [r] } = await db.pool('nexus_owner').query<{ ok: boolean }>(
    `WITH wm AS (SELECT model, through_txid AS t FROM nexus.etl_watermarks),
     m AS (SELECT (SELECT max(txid) FROM staging.sync_inbound WHERE $1::uuid[] IS NULL OR device_id = ANY($1::uuid[])) AS staged,
                  (SELECT max(t) FROM (SELECT max(loaded_txid) AS t FROM warehouse.dim_entity
                                       UNION ALL SELECT max(loaded_txid) FROM warehouse.fact_transactions
                                       UNION ALL SELECT max(loaded_txid) FROM warehouse.fact_events) x) AS loaded,
                  (SELECT max(txid) FROM mart_field.changes) AS fed)
     SELECT coalesce((SELECT min(t) FROM wm WHERE model = ANY($2::text[])) > staged, staged IS NULL)
        AND coalesce((SELECT min(t) FROM wm WHERE model = ANY($3::text[])) > loaded, loaded IS NULL)
        AND coalesce(pg_snapshot_xmin(pg_current_snapshot()) > fed, fed IS NULL) AS ok
     FROM m`, [deviceIds, FEED_MODELS.warehouse, FEED_MODELS.marts]);
  return r!.ok;
}

export async function checkFleet(db: DbAccess, fleet: FleetMember[], opts: { warehouseWaitMs?: number } = {}): Promise<CheckReport> {
  const ids = fleet.map((f) => f.device.state.device_id);
  const pool = db.pool('nexus_owner');
  const problems: string[] = [];
  const note = (p: string) => void (problems.length < 20 && problems.push(p));

  const { rows } = await pool.query<{ op_id: string; n: number; rejected: number }>(
    `SELECT op_id, count(*)::int AS n, count(*) FILTER (WHERE status = 'rejected')::int AS rejected
     FROM staging.sync_inbound WHERE device_id = ANY($1::uuid[]) GROUP BY op_id`, [ids]);
  const counts = new Map(rows.map((r) => [r.op_id, r.n]));
  const created = new Set(fleet.flatMap((f) => f.opIds));
  let missing = 0;
  let dup = 0;
  for (const id of created) {
    const n = counts.get(id) ?? 0;
    if (n === 0) missing++, note(`op ${id} never reached staging`);
    if (n > 1) dup++, note(`op ${id} is in staging ${n} times`);
  }
  const unexpected = rows.filter((r) => !created.has(r.op_id)).length;
  const rejected = rows.reduce((n, r) => n + r.rejected, 0);

  // The warehouse lags the ETL by a moment: wait for it (bounded).
  const deadline = Date.now() + (opts.warehouseWaitMs ?? 60_000);
  let notInWarehouse = 0;
  for (;;) {
    const { rows: [w] } = await pool.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM staging.sync_inbound s
       WHERE s.device_id = ANY($1::uuid[]) AND s.status = 'applied'
         AND NOT EXISTS (SELECT 1 FROM mart_field.changes c WHERE c.change_id = s.ingest_id)
         AND NOT EXISTS (SELECT 1 FROM warehouse.quarantine q WHERE q.staging_ingest_id = s.ingest_id)
         -- Patients are master data (SCD2): a version whose content equals the
         -- state before it, or that a later op of the same push supersedes, is
         -- no change of state and is not in the feed (docs/SYNC_PROTOCOL.md §4).
         AND NOT (s.entity = 'patient' AND (
           (SELECT c.payload_sha256 FROM mart_field.changes c
             WHERE c.entity_id = s.entity_id AND c.version < s.ingest_id ORDER BY c.version DESC LIMIT 1) = s.payload_sha256
           OR EXISTS (SELECT 1 FROM staging.sync_inbound s2
                      WHERE s2.entity_id = s.entity_id AND s2.status = 'applied'
                        AND s2.received_at = s.received_at AND s2.ingest_id > s.ingest_id)))`, [ids]);
    notInWarehouse = w!.n;
    if (notInWarehouse === 0 || Date.now() > deadline) break;
    await new Promise((r) => setTimeout(r, 500));
  }
  if (notInWarehouse) note(`${notInWarehouse} applied op(s) not in the warehouse's pull feed`);

  const { rows: latest } = await pool.query<Latest>(
    `SELECT l.*, p.groups FROM (
       SELECT DISTINCT ON (entity_id) entity_id::text, entity, patient_id::text, ingest_id::text AS version, payload_sha256,
              raw -> 'payload' ->> 'sha256' AS file_sha256
       FROM staging.sync_inbound WHERE device_id = ANY($1::uuid[]) AND status = 'applied'
       ORDER BY entity_id, ingest_id DESC) l
     LEFT JOIN mart_field.patients p ON p.patient_id = l.patient_id::uuid`, [ids]);
  let divergent = 0;
  // A few devices at a time: each reads back every entity it should hold.
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(8, fleet.length) }, async () => {
    while (next < fleet.length) {
      const { device, groups } = fleet[next++]!;
      divergent += await checkDevice(device, latest.filter((l) => !l.groups || l.groups.some((g) => groups.includes(g))), note);
    }
  }));
  return {
    ok: missing === 0 && dup === 0 && unexpected === 0 && notInWarehouse === 0 && divergent === 0,
    opsCreated: created.size,
    opsInStaging: rows.reduce((n, r) => n + r.n, 0),
    missingInStaging: missing,
    duplicatedInStaging: dup,
    unexpectedInStaging: unexpected,
    rejected,
    notInWarehouse,
    entities: latest.length,
    divergent,
    problems,
  };
}

async function checkDevice(device: FieldDevice, latest: Latest[], note: (p: string) => void): Promise<number> {
  let divergent = 0;
  const metas = new Map<string, Awaited<ReturnType<typeof readMeta>>>();
  for (const l of latest) {
    if (device.isTombstoned(l.patient_id)) continue;
    let meta = metas.get(l.patient_id);
    if (!meta) metas.set(l.patient_id, (meta = await readMeta(device.fs, l.patient_id)));
    const known = meta.versions[l.entity_id];
    const file = entityPath(l.entity, l.patient_id, l.entity_id);
    let same = known?.version === Number(l.version);
    if (same && (l.entity === 'patient' || l.entity === 'session')) {
      same = payloadSha256(await readJson(device.fs, file)) === l.payload_sha256;
    } else if (same) {
      const bytes = await device.fs.read(file);
      same = bytes !== null && sha256Hex(bytes) === l.file_sha256;
    }
    if (!same) {
      divergent++;
      note(`device ${device.state.device_name}: ${l.entity} ${l.entity_id} holds version ${known?.version ?? 'none'}, the server's latest is ${l.version}`);
    }
  }
  return divergent;
}
