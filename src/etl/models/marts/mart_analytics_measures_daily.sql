-- model: mart_analytics_measures_daily
-- kind: incremental
-- sources: warehouse.fact_transactions
-- depends_on: mart_analytics_sessions, mart_analytics_sessions_daily
-- targets: mart_analytics.measures_daily, mart_analytics.measures_thresholds
-- Readings per day × device × measure, and how many fell outside the
-- parameter `alerts.thresholds` ({"pulse_bpm": [low, high], …}). The days the
-- window touches are rebuilt, and every day of a measure whose thresholds
-- differ from those it was built with (mart_analytics.measures_thresholds).

CREATE TEMP TABLE _thresholds ON COMMIT DROP AS
SELECT t.key AS measure, warehouse.try_numeric(t.value -> 0) AS low, warehouse.try_numeric(t.value -> 1) AS high
FROM nexus.parameters p, jsonb_each(p.value) t
WHERE p.key = 'alerts.thresholds' AND jsonb_typeof(p.value) = 'object' AND jsonb_typeof(t.value) = 'array';

CREATE TEMP TABLE _touched_measure_days ON COMMIT DROP AS
SELECT * FROM warehouse.session_days_touched(current_setting('nexus.etl_from')::xid8, current_setting('nexus.etl_to')::xid8)
UNION
SELECT DISTINCT x.session_date, x.device_id FROM mart_analytics.measures_daily x
WHERE x.measure IN (SELECT measure FROM _thresholds n FULL JOIN mart_analytics.measures_thresholds o USING (measure)
                    WHERE n.low IS DISTINCT FROM o.low OR n.high IS DISTINCT FROM o.high);

DELETE FROM mart_analytics.measures_daily x USING _touched_measure_days k
WHERE x.session_date = k.session_date AND x.device_id = k.device_id;

WITH readings AS (
  SELECT s.session_date, s.device_id, m.measure, m.value
  FROM mart_analytics.sessions s
  JOIN _touched_measure_days k ON k.session_date = s.session_date AND k.device_id = s.device_id
  CROSS JOIN LATERAL (VALUES ('pulse_bpm', s.pulse_bpm), ('systolic_mmhg', s.systolic_mmhg), ('diastolic_mmhg', s.diastolic_mmhg),
    ('temperature_c', s.temperature_c), ('spo2_pct', s.spo2_pct), ('weight_kg', s.weight_kg),
    ('blood_glucose_mgdl', s.blood_glucose_mgdl), ('pain_score', s.pain_score)) AS m(measure, value)
  WHERE m.value IS NOT NULL
)
INSERT INTO mart_analytics.measures_daily (session_date, device_id, measure, reading_count, value_sum, value_min, value_max,
                                           low_threshold, high_threshold, outside_count)
SELECT r.session_date, r.device_id, r.measure, count(*), sum(r.value), min(r.value), max(r.value), th.low, th.high,
       count(*) FILTER (WHERE r.value < th.low OR r.value > th.high)
FROM readings r LEFT JOIN _thresholds th USING (measure)
GROUP BY r.session_date, r.device_id, r.measure, th.low, th.high;

DELETE FROM mart_analytics.measures_thresholds;
INSERT INTO mart_analytics.measures_thresholds SELECT measure, low, high FROM _thresholds;
