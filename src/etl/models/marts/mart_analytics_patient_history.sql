-- model: mart_analytics_patient_history
-- kind: incremental
-- sources: warehouse.dim_entity
-- depends_on: dim_entity
-- targets: mart_analytics.patient_history
-- Every version of every patient (SCD2 intervals), for "as of" reports.

WITH bounds AS (
  SELECT current_setting('nexus.etl_from')::xid8 AS lo, current_setting('nexus.etl_to')::xid8 AS hi
)
INSERT INTO mart_analytics.patient_history (entity_key, patient_id, version, sex, birth_year, care_level, site, valid_from, valid_to, is_current)
SELECT e.entity_key, e.patient_id, e.version, e.sex, extract(year FROM e.birth_date)::smallint, e.care_level, e.site,
       e.valid_from, e.valid_to, e.is_current
FROM warehouse.dim_entity e, bounds b
WHERE e.loaded_txid >= b.lo AND e.loaded_txid < b.hi AND e.entity_type = 'patient'
ON CONFLICT (entity_key) DO UPDATE SET
  patient_id = EXCLUDED.patient_id, version = EXCLUDED.version, sex = EXCLUDED.sex, birth_year = EXCLUDED.birth_year,
  care_level = EXCLUDED.care_level, site = EXCLUDED.site, valid_from = EXCLUDED.valid_from, valid_to = EXCLUDED.valid_to,
  is_current = EXCLUDED.is_current, loaded_txid = pg_current_xact_id();
