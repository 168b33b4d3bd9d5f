-- model: mart_ops_device_status
-- kind: incremental
-- sources: warehouse.fact_sync_log, warehouse.dim_device, warehouse.fact_conflicts
-- depends_on: fct_sync_log, dim_device, fct_conflicts
-- targets: mart_ops.device_status
-- One row per device: when it was last seen, its last seq, how many pushes,
-- pulls, rejects and conflicts. The devices touched by the window are
-- recomputed from the whole warehouse, so reruns and rebuilds agree.

WITH bounds AS (
  SELECT current_setting('nexus.etl_from')::xid8 AS lo, current_setting('nexus.etl_to')::xid8 AS hi
), touched AS (
  SELECT l.device_id FROM warehouse.fact_sync_log l, bounds b WHERE l.loaded_txid >= b.lo AND l.loaded_txid < b.hi
  UNION SELECT d.device_id FROM warehouse.dim_device d, bounds b WHERE d.loaded_txid >= b.lo AND d.loaded_txid < b.hi
  UNION SELECT c.device_id FROM warehouse.fact_conflicts c, bounds b WHERE c.loaded_txid >= b.lo AND c.loaded_txid < b.hi
), logs AS (
  SELECT l.device_id, max(l.requested_at) AS last_seen_at,
         max(l.requested_at) FILTER (WHERE l.direction = 'push') AS last_push_at,
         max(l.requested_at) FILTER (WHERE l.direction = 'pull') AS last_pull_at,
         max(l.last_seq) AS last_seq,
         count(*) FILTER (WHERE l.direction = 'push') AS push_count,
         count(*) FILTER (WHERE l.direction = 'pull') AS pull_count,
         sum(l.op_count) AS op_count, sum(l.rejected_count) AS rejected_count,
         count(*) FILTER (WHERE l.http_status >= 400) AS error_count
  FROM warehouse.fact_sync_log l JOIN touched USING (device_id)
  GROUP BY l.device_id
), conflicts AS (
  SELECT c.device_id, count(*) AS conflict_count
  FROM warehouse.fact_conflicts c JOIN touched USING (device_id) GROUP BY c.device_id
)
INSERT INTO mart_ops.device_status (device_id, device_name, groups, app_version, first_seen_at, last_seen_at, last_push_at,
                                    last_pull_at, last_seq, push_count, pull_count, op_count, rejected_count, error_count, conflict_count)
SELECT t.device_id, d.device_name, coalesce(d.groups, '{}'), d.app_version, d.first_seen_at, l.last_seen_at, l.last_push_at,
       l.last_pull_at, l.last_seq, coalesce(l.push_count, 0), coalesce(l.pull_count, 0), coalesce(l.op_count, 0),
       coalesce(l.rejected_count, 0), coalesce(l.error_count, 0), coalesce(c.conflict_count, 0)
FROM touched t
LEFT JOIN warehouse.dim_device d ON d.device_id = t.device_id AND d.is_current
LEFT JOIN logs l ON l.device_id = t.device_id
LEFT JOIN conflicts c ON c.device_id = t.device_id
ON CONFLICT (device_id) DO UPDATE SET
  device_name = EXCLUDED.device_name, groups = EXCLUDED.groups, app_version = EXCLUDED.app_version,
  first_seen_at = EXCLUDED.first_seen_at, last_seen_at = EXCLUDED.last_seen_at, last_push_at = EXCLUDED.last_push_at,
  last_pull_at = EXCLUDED.last_pull_at, last_seq = EXCLUDED.last_seq, push_count = EXCLUDED.push_count,
  pull_count = EXCLUDED.pull_count, op_count = EXCLUDED.op_count, rejected_count = EXCLUDED.rejected_count,
  error_count = EXCLUDED.error_count, conflict_count = EXCLUDED.conflict_count, loaded_txid = pg_current_xact_id();
