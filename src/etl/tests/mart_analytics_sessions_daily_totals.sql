-- model: mart_analytics_sessions_daily
-- severity: error
-- Per rebuilt (day, device), the sessions of its first group equal the
-- sessions mart's count (a device's sessions appear once in each group).
WITH days AS (
  SELECT session_date, device_id, min(group_name) AS g FROM mart_analytics.sessions_daily
  WHERE loaded_txid = pg_current_xact_id() GROUP BY 1, 2
)
SELECT d.session_date, d.device_id, x.n AS daily, s.n AS sessions
FROM days d
CROSS JOIN LATERAL (SELECT sum(session_count) AS n FROM mart_analytics.sessions_daily y
                    WHERE y.session_date = d.session_date AND y.device_id = d.device_id AND y.group_name = d.g) x
CROSS JOIN LATERAL (SELECT count(*) AS n FROM mart_analytics.sessions z
                    WHERE z.session_date = d.session_date AND z.device_id = d.device_id) s
WHERE x.n <> s.n;
