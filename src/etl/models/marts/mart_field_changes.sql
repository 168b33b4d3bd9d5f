-- model: mart_field_changes
-- kind: incremental
-- sources: warehouse.dim_entity, warehouse.fact_transactions, warehouse.fact_events
-- depends_on: mart_field_patients, fct_transactions, fct_events
-- targets: mart_field.changes
-- The pull feed (SYNC_PROTOCOL §4): every version that reached the
-- warehouse, once, tagged with the patient's groups. Rows get this
-- transaction's id; pulls page by (txid, change_id) below the snapshot xmin,
-- which no later commit can fall behind. Warehouse rows updated after load
-- (closed SCD2 rows, late binding) are already here and are not repeated.

WITH bounds AS (
  SELECT current_setting('nexus.etl_from')::xid8 AS lo, current_setting('nexus.etl_to')::xid8 AS hi
), versions AS (
  SELECT 'patient' AS entity, e.patient_id, e.patient_id AS entity_id, e.version, e.origin_device_id AS origin_device,
         e.payload_sha256, e.payload, e.valid_from AS received_at
  FROM warehouse.dim_entity e, bounds b
  WHERE e.loaded_txid >= b.lo AND e.loaded_txid < b.hi AND e.entity_type = 'patient'
  UNION ALL
  SELECT 'session', t.patient_id, t.session_id, t.version, d.device_id, t.payload_sha256, t.payload, t.received_at
  FROM warehouse.fact_transactions t JOIN warehouse.dim_device d ON d.device_key = t.device_key, bounds b
  WHERE t.loaded_txid >= b.lo AND t.loaded_txid < b.hi
  UNION ALL
  SELECT v.event_type, v.patient_id, v.entity_id, v.version, d.device_id, v.payload_sha256, v.payload, v.received_at
  FROM warehouse.fact_events v JOIN warehouse.dim_device d ON d.device_key = v.device_key, bounds b
  WHERE v.loaded_txid >= b.lo AND v.loaded_txid < b.hi AND v.staging_table = 'sync_inbound'
)
INSERT INTO mart_field.changes (change_id, entity, patient_id, entity_id, version, origin_device, payload_sha256, payload, groups, received_at)
SELECT v.version, v.entity, v.patient_id, v.entity_id, v.version, v.origin_device, v.payload_sha256, v.payload,
       coalesce(p.groups, d.groups, '{}'), v.received_at
FROM versions v
LEFT JOIN mart_field.patients p ON p.patient_id = v.patient_id
LEFT JOIN LATERAL (
  -- A session may arrive before its patient: until then, the sender's groups.
  SELECT dd.groups FROM warehouse.dim_device dd WHERE dd.device_id = v.origin_device AND dd.is_current
) d ON true
ON CONFLICT (change_id) DO NOTHING;
