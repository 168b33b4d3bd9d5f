-- model: mart_ops_device_status
-- severity: error
-- Pushes and pulls of every device this run rebuilt match the sync log.
SELECT s.device_id, s.push_count, s.pull_count, l.pushes, l.pulls
FROM mart_ops.device_status s
LEFT JOIN LATERAL (
  SELECT count(*) FILTER (WHERE direction = 'push') AS pushes, count(*) FILTER (WHERE direction = 'pull') AS pulls
  FROM warehouse.fact_sync_log l WHERE l.device_id = s.device_id
) l ON true
WHERE s.loaded_txid = pg_current_xact_id() AND (s.push_count <> l.pushes OR s.pull_count <> l.pulls);
