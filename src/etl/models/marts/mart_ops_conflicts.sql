-- model: mart_ops_conflicts
-- kind: incremental
-- sources: warehouse.fact_conflicts
-- depends_on: fct_conflicts
-- targets: mart_ops.conflicts
-- Soft conflicts for review: an edit made on a stale base that replaced
-- another device's version (the newer arrival won).

WITH bounds AS (
  SELECT current_setting('nexus.etl_from')::xid8 AS lo, current_setting('nexus.etl_to')::xid8 AS hi
)
INSERT INTO mart_ops.conflicts (version, entity, entity_id, patient_id, device_id, base_version, superseded_version,
                                superseded_device_id, received_at, conflict_date)
SELECT c.version, c.entity, c.entity_id, c.patient_id, c.device_id, c.base_version, c.superseded_version,
       c.superseded_device_id, c.received_at, c.received_at::date
FROM warehouse.fact_conflicts c, bounds b
WHERE c.loaded_txid >= b.lo AND c.loaded_txid < b.hi
ON CONFLICT (version) DO NOTHING;
