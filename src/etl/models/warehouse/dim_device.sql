-- model: dim_device
-- kind: incremental
-- sources: staging.sync_inbound
-- depends_on: stg_sync_ops
-- targets: warehouse.dim_device
-- Devices as SCD type 2. Tracked: groups and app version. An op without an
-- app_version keeps the last known one; ops of one push share an instant,
-- and the last of them stands for it.

CREATE TEMP TABLE _device_states ON COMMIT DROP AS
WITH bounds AS (
  SELECT current_setting('nexus.etl_from')::xid8 AS lo, current_setting('nexus.etl_to')::xid8 AS hi
), ops AS (
  SELECT o.device_id, o.version, o.received_at, o.device_groups, o.payload ->> 'app_version' AS app_version,
         count(o.payload ->> 'app_version') OVER w AS app_group
  FROM warehouse.stg_sync_ops o, bounds b
  WHERE o.txid >= b.lo AND o.txid < b.hi
  WINDOW w AS (PARTITION BY o.device_id ORDER BY o.version)
), filled AS (
  SELECT ops.device_id, ops.version, ops.received_at, ops.device_groups,
         coalesce(first_value(ops.app_version) OVER (PARTITION BY ops.device_id, ops.app_group ORDER BY ops.version), cur.app_version) AS app_version,
         cur.change_hash AS current_hash, cur.valid_from AS current_from
  FROM ops LEFT JOIN warehouse.dim_device cur ON cur.device_id = ops.device_id AND cur.is_current
), per_instant AS (
  SELECT DISTINCT ON (device_id, received_at) *, md5(device_groups::text || '|' || coalesce(app_version, '')) AS change_hash
  FROM filled ORDER BY device_id, received_at, version DESC
), changed AS (
  SELECT p.*, lag(p.change_hash) OVER (PARTITION BY p.device_id ORDER BY p.received_at) AS prev_hash
  FROM per_instant p
)
SELECT device_id, greatest(received_at, current_from + interval '1 microsecond') AS valid_from,
       device_groups, app_version, change_hash, current_from IS NOT NULL AS has_current
FROM changed
WHERE change_hash IS DISTINCT FROM coalesce(prev_hash, current_hash);
ANALYZE _device_states; -- temp tables get no statistics otherwise, and the joins below depend on them

UPDATE warehouse.dim_device d
SET valid_to = s.first_from, is_current = false, loaded_txid = pg_current_xact_id()
FROM (SELECT device_id, min(valid_from) AS first_from FROM _device_states GROUP BY device_id) s
WHERE d.device_id = s.device_id AND d.is_current;

INSERT INTO warehouse.dim_device (device_key, device_id, groups, app_version, first_seen_at, valid_from, valid_to, is_current, change_hash)
SELECT warehouse.stable_key('dim_device', s.device_id::text, s.valid_from::text),
       s.device_id, s.device_groups, s.app_version,
       coalesce((SELECT min(d.valid_from) FROM warehouse.dim_device d WHERE d.device_id = s.device_id),
                min(s.valid_from) OVER (PARTITION BY s.device_id)),
       s.valid_from,
       lead(s.valid_from) OVER (PARTITION BY s.device_id ORDER BY s.valid_from),
       lead(s.valid_from) OVER (PARTITION BY s.device_id ORDER BY s.valid_from) IS NULL,
       s.change_hash
FROM _device_states s;
