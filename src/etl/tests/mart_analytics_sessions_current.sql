-- model: mart_analytics_sessions
-- severity: error
-- Every session this run wrote holds the warehouse's current version.
SELECT s.session_id, s.version, f.version AS current_version
FROM mart_analytics.sessions s
LEFT JOIN warehouse.fact_transactions f ON f.session_id = s.session_id AND f.is_current
WHERE s.loaded_txid = pg_current_xact_id() AND s.version IS DISTINCT FROM f.version;
