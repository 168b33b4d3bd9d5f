-- model: mart_field_patients
-- kind: incremental
-- sources: warehouse.dim_entity
-- depends_on: dim_entity, dim_device
-- targets: mart_field.patients
-- Who sees a patient: the groups of the device that first sent it
-- (a device sees the patients of its groups; by default everyone shares one).

WITH bounds AS (
  SELECT current_setting('nexus.etl_from')::xid8 AS lo, current_setting('nexus.etl_to')::xid8 AS hi
), firsts AS (
  SELECT DISTINCT ON (e.patient_id) e.patient_id, e.version, e.valid_from, e.origin_device_id
  FROM warehouse.dim_entity e, bounds b
  WHERE e.loaded_txid >= b.lo AND e.loaded_txid < b.hi AND e.entity_type = 'patient'
  ORDER BY e.patient_id, e.version
)
INSERT INTO mart_field.patients (patient_id, groups, first_version, first_seen_at)
SELECT f.patient_id, coalesce(d.groups, '{}'), f.version, f.valid_from
FROM firsts f
LEFT JOIN LATERAL (
  SELECT dd.groups FROM warehouse.dim_device dd
  WHERE dd.device_id = f.origin_device_id AND dd.valid_from <= f.valid_from
  ORDER BY dd.valid_from DESC LIMIT 1
) d ON true
ON CONFLICT (patient_id) DO NOTHING;
