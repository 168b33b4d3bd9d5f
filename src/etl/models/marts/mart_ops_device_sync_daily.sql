-- model: mart_ops_device_sync_daily
-- kind: incremental
-- sources: warehouse.fact_sync_log
-- depends_on: fct_sync_log
-- targets: mart_ops.device_sync_daily
-- Pushes and pulls per device and UTC day; each (device, day) the window
-- touches is recomputed in full.

WITH bounds AS (
  SELECT current_setting('nexus.etl_from')::xid8 AS lo, current_setting('nexus.etl_to')::xid8 AS hi
), touched AS (
  SELECT DISTINCT l.device_id, l.requested_at::date AS sync_date
  FROM warehouse.fact_sync_log l, bounds b WHERE l.loaded_txid >= b.lo AND l.loaded_txid < b.hi
)
INSERT INTO mart_ops.device_sync_daily (device_id, sync_date, push_count, pull_count, op_count, applied_count, duplicate_count,
                                        rejected_count, change_count, error_count, request_bytes, max_duration_ms, last_seq)
SELECT l.device_id, l.requested_at::date,
       count(*) FILTER (WHERE l.direction = 'push'), count(*) FILTER (WHERE l.direction = 'pull'),
       sum(l.op_count), sum(l.applied_count), sum(l.duplicate_count), sum(l.rejected_count), sum(l.change_count),
       count(*) FILTER (WHERE l.http_status >= 400), coalesce(sum(l.request_bytes), 0), max(l.duration_ms), max(l.last_seq)
FROM warehouse.fact_sync_log l
JOIN touched t ON t.device_id = l.device_id AND l.requested_at >= t.sync_date AND l.requested_at < t.sync_date + 1
GROUP BY l.device_id, l.requested_at::date
ON CONFLICT (device_id, sync_date) DO UPDATE SET
  push_count = EXCLUDED.push_count, pull_count = EXCLUDED.pull_count, op_count = EXCLUDED.op_count,
  applied_count = EXCLUDED.applied_count, duplicate_count = EXCLUDED.duplicate_count, rejected_count = EXCLUDED.rejected_count,
  change_count = EXCLUDED.change_count, error_count = EXCLUDED.error_count, request_bytes = EXCLUDED.request_bytes,
  max_duration_ms = EXCLUDED.max_duration_ms, last_seq = EXCLUDED.last_seq, loaded_txid = pg_current_xact_id();
