-- model: mart_analytics_measures_daily
-- severity: error
-- Counts are consistent and measures come from the conformed list.
SELECT session_date, device_id, measure, reading_count, outside_count
FROM mart_analytics.measures_daily
WHERE loaded_txid = pg_current_xact_id()
  AND (outside_count > reading_count OR reading_count <= 0
       OR measure NOT IN ('pulse_bpm', 'systolic_mmhg', 'diastolic_mmhg', 'temperature_c', 'spo2_pct', 'weight_kg', 'blood_glucose_mgdl', 'pain_score'));
