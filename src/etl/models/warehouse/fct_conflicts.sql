-- model: fct_conflicts
-- kind: incremental
-- sources: staging.sync_inbound
-- depends_on: stg_sync_ops
-- targets: warehouse.fact_conflicts
-- Soft conflicts (SYNC_PROTOCOL §2): an edit whose base_version was older
-- than the entity's version at arrival, when that version came from another
-- device. The newer arrival still wins; this is for administrators to review.
-- Versions follow arrival order, so "the version at arrival" is the previous one.

WITH bounds AS (
  SELECT current_setting('nexus.etl_from')::xid8 AS lo, current_setting('nexus.etl_to')::xid8 AS hi
)
INSERT INTO warehouse.fact_conflicts (version, entity, entity_id, patient_id, device_id, base_version,
                                      superseded_version, superseded_device_id, received_at)
SELECT o.version, o.entity, o.entity_id, o.patient_id, o.device_id, o.base_version, prev.version, prev.device_id, o.received_at
FROM warehouse.stg_sync_ops o
CROSS JOIN bounds b
CROSS JOIN LATERAL (
  SELECT p.ingest_id AS version, p.device_id
  FROM staging.sync_inbound p
  WHERE p.entity_id = o.entity_id AND p.status = 'applied' AND p.ingest_id < o.version
  ORDER BY p.ingest_id DESC LIMIT 1
) prev
WHERE o.txid >= b.lo AND o.txid < b.hi
  AND o.entity IN ('patient', 'session')
  AND prev.device_id <> o.device_id
  AND (o.base_version IS NULL OR o.base_version < prev.version)
ON CONFLICT (version) DO NOTHING;
