-- model: mart_analytics_sessions_daily
-- kind: incremental
-- sources: warehouse.fact_transactions
-- depends_on: mart_analytics_sessions
-- targets: mart_analytics.sessions_daily
-- Sessions per day × device × group × source × type × status. Every
-- (day, device) the window touches — the days of a session's old versions
-- too, since an edit may move it — is rebuilt from mart_analytics.sessions.

CREATE TEMP TABLE _touched_days ON COMMIT DROP AS
SELECT * FROM warehouse.session_days_touched(current_setting('nexus.etl_from')::xid8, current_setting('nexus.etl_to')::xid8);

DELETE FROM mart_analytics.sessions_daily x USING _touched_days k
WHERE x.session_date = k.session_date AND x.device_id = k.device_id;

INSERT INTO mart_analytics.sessions_daily (session_date, device_id, group_name, source_name, session_type, session_status,
  week_start, month_start, session_count, patient_count, duration_minutes_sum, document_count, image_count)
SELECT s.session_date, s.device_id, g.group_name, s.source_name, coalesce(s.session_type, '(none)'), coalesce(s.session_status, '(none)'),
       date_trunc('week', s.session_date)::date, date_trunc('month', s.session_date)::date,
       count(*), count(DISTINCT s.patient_id), coalesce(sum(s.duration_minutes), 0), sum(s.document_count), sum(s.image_count)
FROM mart_analytics.sessions s
JOIN _touched_days k ON k.session_date = s.session_date AND k.device_id = s.device_id
CROSS JOIN LATERAL unnest(CASE WHEN cardinality(s.groups) > 0 THEN s.groups ELSE ARRAY['(none)'] END) AS g(group_name)
GROUP BY 1, 2, 3, 4, 5, 6;
