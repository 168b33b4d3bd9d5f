-- model: fct_sync_log
-- kind: incremental
-- sources: nexus.sync_requests
-- depends_on: dim_device, dim_calendar
-- targets: warehouse.fact_sync_log
-- One row per push and pull request (from the sync API's request log).

WITH bounds AS (
  SELECT current_setting('nexus.etl_from')::xid8 AS lo, current_setting('nexus.etl_to')::xid8 AS hi
)
INSERT INTO warehouse.fact_sync_log (
  sync_log_key, request_id, direction, device_id, device_key, date_key, requested_at, http_status,
  op_count, applied_count, duplicate_count, rejected_count, change_count, request_bytes, duration_ms, last_seq)
SELECT warehouse.stable_key('fact_sync_log', r.request_id::text), r.request_id, r.direction, r.device_id,
       (SELECT d.device_key FROM warehouse.dim_device d WHERE d.device_id = r.device_id ORDER BY (d.valid_from <= r.requested_at) DESC, d.valid_from DESC LIMIT 1),
       (SELECT c.date_key FROM warehouse.dim_calendar c WHERE c.calendar_date = r.requested_at::date),
       r.requested_at, r.http_status, r.op_count, r.applied_count, r.duplicate_count, r.rejected_count,
       r.change_count, r.request_bytes, r.duration_ms, r.last_seq
FROM nexus.sync_requests r, bounds b
WHERE r.txid >= b.lo AND r.txid < b.hi
ON CONFLICT (request_id) DO NOTHING;
