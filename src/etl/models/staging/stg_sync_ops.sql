-- model: stg_sync_ops
-- kind: view
-- Applied device ops, typed: one row per accepted version (SYNC_PROTOCOL §2).
-- A view over staging.sync_inbound; models filter it by txid window.

CREATE OR REPLACE VIEW warehouse.stg_sync_ops AS
SELECT
  s.ingest_id                 AS version,
  s.txid,
  s.received_at,
  s.source                    AS source_name,
  s.device_id,
  coalesce(s.device_groups, '{}') AS device_groups,
  s.seq,
  s.entity,
  s.patient_id,
  s.entity_id,
  s.base_version,
  s.recorded_at,
  s.payload_sha256,
  s.raw -> 'payload'          AS payload
FROM staging.sync_inbound AS s
WHERE s.status = 'applied';
