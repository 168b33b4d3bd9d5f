-- model: fct_transactions
-- severity: warn
-- Freshness: device ops that arrived more than 15 minutes ago and are still
-- waiting beyond this run's window (a transaction held open, or a stuck run).
SELECT count(*) AS waiting, min(s.received_at) AS oldest
FROM staging.sync_inbound s
WHERE s.txid >= current_setting('nexus.etl_to')::xid8 AND s.received_at < now() - interval '15 minutes'
HAVING count(*) > 0;
