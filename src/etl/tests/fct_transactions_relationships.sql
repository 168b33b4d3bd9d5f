-- model: fct_transactions
-- severity: warn
-- Sessions whose patient has not arrived (yet): expected briefly, worth a
-- look when it lasts. Reported for sessions older than a day.
SELECT f.session_id, f.patient_id, f.received_at
FROM warehouse.fact_transactions f
WHERE f.entity_key IS NULL AND f.is_current AND f.received_at < now() - interval '1 day'
LIMIT 100;
