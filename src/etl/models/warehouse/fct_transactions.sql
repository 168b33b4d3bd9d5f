-- model: fct_transactions
-- kind: incremental
-- sources: staging.sync_inbound
-- depends_on: stg_sync_ops, dim_source, dim_device, dim_entity, dim_calendar
-- targets: warehouse.fact_transactions
-- Sessions (transactional data): one row per accepted version, the latest
-- marked is_current. A session may arrive before its patient: it is loaded
-- with entity_key NULL and bound once the patient is in dim_entity.

CREATE TEMP TABLE _session_ops ON COMMIT DROP AS
WITH bounds AS (
  SELECT current_setting('nexus.etl_from')::xid8 AS lo, current_setting('nexus.etl_to')::xid8 AS hi
)
SELECT o.*, warehouse.try_timestamptz(o.payload ->> 'started_at') AS started_at,
       warehouse.try_timestamptz(o.payload ->> 'ended_at') AS ended_at
FROM warehouse.stg_sync_ops o, bounds b
WHERE o.txid >= b.lo AND o.txid < b.hi AND o.entity = 'session';
ANALYZE _session_ops; -- temp tables get no statistics otherwise, and the joins below depend on them

CREATE TEMP TABLE _session_rejects ON COMMIT DROP AS
SELECT s.version, s.received_at, s.payload,
       CASE
         WHEN s.payload ? 'session_id' AND s.payload ->> 'session_id' IS DISTINCT FROM s.entity_id::text THEN 'session_id_mismatch'
         WHEN s.payload ? 'patient_id' AND s.payload ->> 'patient_id' IS DISTINCT FROM s.patient_id::text THEN 'patient_id_mismatch'
         WHEN jsonb_typeof(s.payload -> 'started_at') = 'string' AND s.started_at IS NULL THEN 'invalid_started_at'
         WHEN jsonb_typeof(s.payload -> 'ended_at') = 'string' AND s.ended_at IS NULL THEN 'invalid_ended_at'
         WHEN s.ended_at < s.started_at THEN 'ended_before_started'
       END AS reject_code
FROM _session_ops s;
ANALYZE _session_rejects; -- temp tables get no statistics otherwise, and the joins below depend on them

INSERT INTO warehouse.quarantine (quarantine_key, model, staging_table, staging_ingest_id, reason_code, reason, raw, received_at)
SELECT warehouse.stable_key('quarantine', 'fct_transactions', r.version::text, r.reject_code),
       'fct_transactions', 'sync_inbound', r.version, r.reject_code,
       CASE r.reject_code
         WHEN 'session_id_mismatch' THEN 'payload.session_id differs from the op''s entity_id'
         WHEN 'patient_id_mismatch' THEN 'payload.patient_id differs from the op''s patient_id'
         WHEN 'invalid_started_at' THEN 'started_at is not an RFC 3339 time: ' || (r.payload ->> 'started_at')
         WHEN 'invalid_ended_at' THEN 'ended_at is not an RFC 3339 time: ' || (r.payload ->> 'ended_at')
         ELSE 'ended_at lies before started_at'
       END,
       r.payload, r.received_at
FROM _session_rejects r WHERE r.reject_code IS NOT NULL
ON CONFLICT ON CONSTRAINT quarantine_origin DO NOTHING;

DELETE FROM _session_ops s USING _session_rejects r WHERE r.version = s.version AND r.reject_code IS NOT NULL;

-- Older versions stop being current when a newer one arrives.
UPDATE warehouse.fact_transactions f
SET is_current = false, loaded_txid = pg_current_xact_id()
FROM (SELECT entity_id, max(version) AS newest FROM _session_ops GROUP BY entity_id) n
WHERE f.session_id = n.entity_id AND f.is_current AND f.version < n.newest;

-- Point-in-time joins (the dimension row valid at arrival), set-based.
-- A device's first row may start a microsecond after its first op (SCD2
-- rows never share an instant), hence the fallback to its earliest row.
WITH cal AS (
  SELECT min(calendar_date) AS lo, max(calendar_date) AS hi FROM warehouse.dim_calendar
), newest AS (
  SELECT f.session_id, max(f.version) AS version
  FROM warehouse.fact_transactions f WHERE f.session_id IN (SELECT entity_id FROM _session_ops) GROUP BY f.session_id
), first_device AS (
  SELECT DISTINCT ON (d.device_id) d.device_id, d.device_key
  FROM warehouse.dim_device d WHERE d.device_id IN (SELECT device_id FROM _session_ops) ORDER BY d.device_id, d.valid_from
)
INSERT INTO warehouse.fact_transactions (
  transaction_key, session_id, version, is_current, patient_id, entity_key, device_key, source_key, date_key,
  session_type, session_status, started_at, ended_at, duration_minutes, clinician, form_id, form_version,
  pulse_bpm, systolic_mmhg, diastolic_mmhg, temperature_c, spo2_pct, weight_kg, blood_glucose_mgdl, pain_score,
  document_count, image_count, app_version, received_at, payload, payload_sha256)
SELECT s.version, s.entity_id, s.version,
       s.version = max(s.version) OVER (PARTITION BY s.entity_id) AND s.version > coalesce(n.version, 0),
       s.patient_id, e.entity_key, coalesce(d.device_key, fd.device_key), src.source_key,
       CASE WHEN coalesce(s.started_at, s.received_at)::date BETWEEN cal.lo AND cal.hi
            THEN to_char(coalesce(s.started_at, s.received_at), 'YYYYMMDD')::int END,
       s.payload ->> 'type', s.payload ->> 'status', s.started_at, s.ended_at,
       round(extract(epoch FROM s.ended_at - s.started_at) / 60.0, 2),
       s.payload ->> 'clinician', s.payload #>> '{form,id}', warehouse.try_numeric(s.payload #> '{form,version}')::int,
       warehouse.try_numeric(s.payload #> '{measurements,pulse_bpm}'),
       warehouse.try_numeric(s.payload #> '{measurements,systolic_mmhg}'),
       warehouse.try_numeric(s.payload #> '{measurements,diastolic_mmhg}'),
       warehouse.try_numeric(s.payload #> '{measurements,temperature_c}'),
       warehouse.try_numeric(s.payload #> '{measurements,spo2_pct}'),
       warehouse.try_numeric(s.payload #> '{measurements,weight_kg}'),
       warehouse.try_numeric(s.payload #> '{measurements,blood_glucose_mgdl}'),
       warehouse.try_numeric(s.payload #> '{measurements,pain_score}'),
       CASE WHEN jsonb_typeof(s.payload -> 'documents') = 'array' THEN jsonb_array_length(s.payload -> 'documents') ELSE 0 END,
       CASE WHEN jsonb_typeof(s.payload -> 'images') = 'array' THEN jsonb_array_length(s.payload -> 'images') ELSE 0 END,
       s.payload ->> 'app_version', s.received_at, s.payload, s.payload_sha256
FROM _session_ops s
CROSS JOIN cal
JOIN warehouse.dim_source src ON src.source_name = s.source_name AND src.is_current
LEFT JOIN newest n ON n.session_id = s.entity_id
LEFT JOIN warehouse.dim_device d
  ON d.device_id = s.device_id AND d.valid_from <= s.received_at AND (d.valid_to IS NULL OR d.valid_to > s.received_at)
LEFT JOIN first_device fd ON fd.device_id = s.device_id
LEFT JOIN warehouse.dim_entity e
  ON e.entity_type = 'patient' AND e.natural_key = s.patient_id::text
 AND e.valid_from <= s.received_at AND (e.valid_to IS NULL OR e.valid_to > s.received_at)
ON CONFLICT (transaction_key) DO NOTHING;

-- Sessions that arrived before their patient: bind them to its first row
-- now that it exists. Driven by the (few) unbound rows, one index look-up each.
UPDATE warehouse.fact_transactions f
SET entity_key = (SELECT e.entity_key FROM warehouse.dim_entity e
                  WHERE e.entity_type = 'patient' AND e.natural_key = f.patient_id::text
                  ORDER BY e.valid_from LIMIT 1),
    loaded_txid = pg_current_xact_id()
WHERE f.entity_key IS NULL
  AND EXISTS (SELECT 1 FROM warehouse.dim_entity e WHERE e.entity_type = 'patient' AND e.natural_key = f.patient_id::text);
