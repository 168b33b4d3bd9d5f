-- model: dim_entity
-- kind: incremental
-- sources: staging.sync_inbound
-- depends_on: stg_sync_ops, dim_source, dim_device
-- targets: warehouse.dim_entity, warehouse.quarantine
-- Patients (master data) as SCD type 2: a new row only when the content of
-- patient.json changes (jsonb text is key-order independent). Versions that
-- fail validation go to quarantine with the reason and are not loaded.

CREATE TEMP TABLE _patient_ops ON COMMIT DROP AS
WITH bounds AS (
  SELECT current_setting('nexus.etl_from')::xid8 AS lo, current_setting('nexus.etl_to')::xid8 AS hi
)
SELECT o.version, o.received_at, o.source_name, o.device_id, o.patient_id, o.payload, o.payload_sha256,
       CASE
         WHEN o.payload ? 'patient_id' AND o.payload ->> 'patient_id' IS DISTINCT FROM o.patient_id::text THEN 'patient_id_mismatch'
         WHEN o.payload ? 'birth_date' AND jsonb_typeof(o.payload -> 'birth_date') <> 'null'
              AND warehouse.try_date(o.payload ->> 'birth_date') IS NULL THEN 'invalid_birth_date'
         WHEN o.payload ? 'care_level' AND jsonb_typeof(o.payload -> 'care_level') <> 'null'
              AND (warehouse.try_numeric(o.payload -> 'care_level') IS NULL
                   OR warehouse.try_numeric(o.payload -> 'care_level') NOT IN (0, 1, 2, 3, 4, 5)) THEN 'invalid_care_level'
       END AS reject_code
FROM warehouse.stg_sync_ops o, bounds b
WHERE o.txid >= b.lo AND o.txid < b.hi AND o.entity = 'patient';
ANALYZE _patient_ops; -- temp tables get no statistics otherwise, and the joins below depend on them

INSERT INTO warehouse.quarantine (quarantine_key, model, staging_table, staging_ingest_id, reason_code, reason, raw, received_at)
SELECT warehouse.stable_key('quarantine', 'dim_entity', p.version::text, p.reject_code),
       'dim_entity', 'sync_inbound', p.version, p.reject_code,
       CASE p.reject_code
         WHEN 'patient_id_mismatch' THEN 'payload.patient_id differs from the op''s patient_id'
         WHEN 'invalid_birth_date' THEN 'birth_date is not a YYYY-MM-DD date: ' || (p.payload ->> 'birth_date')
         ELSE 'care_level is not a whole number from 0 to 5: ' || (p.payload ->> 'care_level')
       END,
       p.payload, p.received_at
FROM _patient_ops p
WHERE p.reject_code IS NOT NULL
ON CONFLICT ON CONSTRAINT quarantine_origin DO NOTHING;

CREATE TEMP TABLE _patient_states ON COMMIT DROP AS
WITH valid AS (
  SELECT p.*, md5(p.payload::text) AS change_hash, cur.change_hash AS current_hash, cur.valid_from AS current_from
  FROM _patient_ops p
  LEFT JOIN warehouse.dim_entity cur ON cur.entity_type = 'patient' AND cur.natural_key = p.patient_id::text AND cur.is_current
  WHERE p.reject_code IS NULL
), per_instant AS (
  SELECT DISTINCT ON (patient_id, received_at) * FROM valid ORDER BY patient_id, received_at, version DESC
), changed AS (
  SELECT x.*, lag(x.change_hash) OVER (PARTITION BY x.patient_id ORDER BY x.received_at) AS prev_hash FROM per_instant x
)
SELECT c.*, greatest(c.received_at, c.current_from + interval '1 microsecond') AS valid_from
FROM changed c
WHERE c.change_hash IS DISTINCT FROM coalesce(c.prev_hash, c.current_hash);
ANALYZE _patient_states; -- temp tables get no statistics otherwise, and the joins below depend on them

UPDATE warehouse.dim_entity d
SET valid_to = s.first_from, is_current = false, loaded_txid = pg_current_xact_id()
FROM (SELECT patient_id, min(valid_from) AS first_from FROM _patient_states GROUP BY patient_id) s
WHERE d.entity_type = 'patient' AND d.natural_key = s.patient_id::text AND d.is_current;

INSERT INTO warehouse.dim_entity (
  entity_key, source_key, entity_type, natural_key, patient_id, external_ref, first_name, last_name,
  birth_date, sex, care_level, site, tags, version, origin_device_id, staging_ingest_id, payload, payload_sha256,
  valid_from, valid_to, is_current, change_hash)
SELECT warehouse.stable_key('dim_entity', 'patient', s.patient_id::text, s.valid_from::text),
       src.source_key, 'patient', s.patient_id::text, s.patient_id,
       s.payload ->> 'external_ref', s.payload ->> 'first_name', s.payload ->> 'last_name',
       warehouse.try_date(s.payload ->> 'birth_date'), lower(s.payload ->> 'sex'),
       warehouse.try_numeric(s.payload -> 'care_level')::smallint, s.payload ->> 'site',
       CASE WHEN jsonb_typeof(s.payload -> 'tags') = 'array'
            THEN ARRAY(SELECT jsonb_array_elements_text(s.payload -> 'tags')) END,
       s.version, s.device_id, s.version, s.payload, s.payload_sha256,
       s.valid_from,
       lead(s.valid_from) OVER (PARTITION BY s.patient_id ORDER BY s.valid_from),
       lead(s.valid_from) OVER (PARTITION BY s.patient_id ORDER BY s.valid_from) IS NULL,
       s.change_hash
FROM _patient_states s
JOIN warehouse.dim_source src ON src.source_name = s.source_name AND src.is_current;
