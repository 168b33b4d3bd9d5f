-- model: mart_analytics_sessions
-- kind: incremental
-- sources: warehouse.fact_transactions
-- depends_on: fct_transactions, dim_device, dim_source
-- targets: mart_analytics.sessions
-- The current version of every session with its conformed measures; the
-- device's groups are those of the device row the version was loaded with.
-- A session is dated by its start (UTC), or by its arrival without one.

WITH bounds AS (
  SELECT current_setting('nexus.etl_from')::xid8 AS lo, current_setting('nexus.etl_to')::xid8 AS hi
), touched AS (
  SELECT DISTINCT t.session_id FROM warehouse.fact_transactions t, bounds b WHERE t.loaded_txid >= b.lo AND t.loaded_txid < b.hi
)
INSERT INTO mart_analytics.sessions (session_id, version, patient_id, device_id, groups, source_name, session_date, started_at, ended_at,
  session_type, session_status, duration_minutes, clinician, form_id, pulse_bpm, systolic_mmhg, diastolic_mmhg, temperature_c,
  spo2_pct, weight_kg, blood_glucose_mgdl, pain_score, document_count, image_count, app_version, received_at)
SELECT t.session_id, t.version, t.patient_id, d.device_id, d.groups, s.source_name, coalesce(t.started_at, t.received_at)::date,
       t.started_at, t.ended_at, t.session_type, t.session_status, t.duration_minutes, t.clinician, t.form_id, t.pulse_bpm,
       t.systolic_mmhg, t.diastolic_mmhg, t.temperature_c, t.spo2_pct, t.weight_kg, t.blood_glucose_mgdl, t.pain_score,
       t.document_count, t.image_count, t.app_version, t.received_at
FROM warehouse.fact_transactions t
JOIN touched USING (session_id)
JOIN warehouse.dim_device d ON d.device_key = t.device_key
JOIN warehouse.dim_source s ON s.source_key = t.source_key
WHERE t.is_current
ON CONFLICT (session_id) DO UPDATE SET
  version = EXCLUDED.version, patient_id = EXCLUDED.patient_id, device_id = EXCLUDED.device_id, groups = EXCLUDED.groups,
  source_name = EXCLUDED.source_name, session_date = EXCLUDED.session_date, started_at = EXCLUDED.started_at,
  ended_at = EXCLUDED.ended_at, session_type = EXCLUDED.session_type, session_status = EXCLUDED.session_status,
  duration_minutes = EXCLUDED.duration_minutes, clinician = EXCLUDED.clinician, form_id = EXCLUDED.form_id,
  pulse_bpm = EXCLUDED.pulse_bpm, systolic_mmhg = EXCLUDED.systolic_mmhg, diastolic_mmhg = EXCLUDED.diastolic_mmhg,
  temperature_c = EXCLUDED.temperature_c, spo2_pct = EXCLUDED.spo2_pct, weight_kg = EXCLUDED.weight_kg,
  blood_glucose_mgdl = EXCLUDED.blood_glucose_mgdl, pain_score = EXCLUDED.pain_score, document_count = EXCLUDED.document_count,
  image_count = EXCLUDED.image_count, app_version = EXCLUDED.app_version, received_at = EXCLUDED.received_at,
  loaded_txid = pg_current_xact_id();
