-- model: mart_analytics_patients
-- severity: error
-- Every patient row this run wrote has a first and last contact, in order.
SELECT patient_id, first_seen_at, last_seen_at FROM mart_analytics.patients
WHERE loaded_txid = pg_current_xact_id() AND (first_seen_at IS NULL OR last_seen_at IS NULL OR last_seen_at < first_seen_at);
