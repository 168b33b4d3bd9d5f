-- model: mart_analytics_patients
-- kind: incremental
-- sources: warehouse.dim_entity, warehouse.fact_transactions, warehouse.fact_events
-- depends_on: dim_entity, fct_transactions, fct_events, mart_field_patients
-- targets: mart_analytics.patients
-- One row per patient: current attributes, counts, first and last contact.
-- "Seen" spans every trace of the patient (a version, a session, a file);
-- sessions count once each (their current version).

WITH bounds AS (
  SELECT current_setting('nexus.etl_from')::xid8 AS lo, current_setting('nexus.etl_to')::xid8 AS hi
), touched AS (
  SELECT e.patient_id FROM warehouse.dim_entity e, bounds b
   WHERE e.loaded_txid >= b.lo AND e.loaded_txid < b.hi AND e.entity_type = 'patient'
  UNION SELECT t.patient_id FROM warehouse.fact_transactions t, bounds b WHERE t.loaded_txid >= b.lo AND t.loaded_txid < b.hi
  UNION SELECT v.patient_id FROM warehouse.fact_events v, bounds b
   WHERE v.loaded_txid >= b.lo AND v.loaded_txid < b.hi AND v.patient_id IS NOT NULL
), versions AS (
  SELECT e.patient_id, count(*) AS version_count, min(e.valid_from) AS first_at, max(e.valid_from) AS last_at
  FROM warehouse.dim_entity e JOIN touched USING (patient_id) WHERE e.entity_type = 'patient' GROUP BY e.patient_id
), sessions AS (
  SELECT t.patient_id, count(*) FILTER (WHERE t.is_current) AS session_count, min(t.received_at) AS first_at,
         max(t.received_at) AS last_at, min(t.started_at) FILTER (WHERE t.is_current) AS first_session_at,
         max(t.started_at) FILTER (WHERE t.is_current) AS last_session_at
  FROM warehouse.fact_transactions t JOIN touched USING (patient_id) GROUP BY t.patient_id
), files AS (
  SELECT v.patient_id, count(DISTINCT v.entity_id) FILTER (WHERE v.event_type = 'document') AS document_count,
         count(DISTINCT v.entity_id) FILTER (WHERE v.event_type = 'image') AS image_count,
         min(v.received_at) AS first_at, max(v.received_at) AS last_at
  FROM warehouse.fact_events v JOIN touched USING (patient_id) GROUP BY v.patient_id
)
INSERT INTO mart_analytics.patients (patient_id, external_ref, sex, birth_year, care_level, site, tags, groups, version_count,
                                     session_count, document_count, image_count, first_seen_at, last_seen_at,
                                     first_session_at, last_session_at)
SELECT t.patient_id, e.external_ref, e.sex, extract(year FROM e.birth_date)::smallint, e.care_level, e.site, e.tags,
       coalesce(fp.groups, '{}'), coalesce(v.version_count, 0), coalesce(s.session_count, 0),
       coalesce(f.document_count, 0), coalesce(f.image_count, 0),
       least(v.first_at, s.first_at, f.first_at), greatest(v.last_at, s.last_at, f.last_at),
       s.first_session_at, s.last_session_at
FROM touched t
LEFT JOIN warehouse.dim_entity e ON e.entity_type = 'patient' AND e.natural_key = t.patient_id::text AND e.is_current
LEFT JOIN mart_field.patients fp ON fp.patient_id = t.patient_id
LEFT JOIN versions v ON v.patient_id = t.patient_id
LEFT JOIN sessions s ON s.patient_id = t.patient_id
LEFT JOIN files f ON f.patient_id = t.patient_id
ON CONFLICT (patient_id) DO UPDATE SET
  external_ref = EXCLUDED.external_ref, sex = EXCLUDED.sex, birth_year = EXCLUDED.birth_year, care_level = EXCLUDED.care_level,
  site = EXCLUDED.site, tags = EXCLUDED.tags, groups = EXCLUDED.groups, version_count = EXCLUDED.version_count,
  session_count = EXCLUDED.session_count, document_count = EXCLUDED.document_count, image_count = EXCLUDED.image_count,
  first_seen_at = EXCLUDED.first_seen_at, last_seen_at = EXCLUDED.last_seen_at,
  first_session_at = EXCLUDED.first_session_at, last_session_at = EXCLUDED.last_session_at,
  loaded_txid = pg_current_xact_id();
