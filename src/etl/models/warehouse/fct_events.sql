-- model: fct_events
-- kind: incremental
-- sources: staging.sync_inbound
-- depends_on: stg_sync_ops, dim_source, dim_device, dim_entity, dim_calendar
-- targets: warehouse.fact_events
-- Documents and images from devices: one row per accepted version of the
-- metadata (the bytes live in the file store under file_sha256).
-- Crawl and import events join this table through their own models.

WITH bounds AS (
  SELECT current_setting('nexus.etl_from')::xid8 AS lo, current_setting('nexus.etl_to')::xid8 AS hi
), ops AS (
  SELECT o.*, coalesce(warehouse.try_timestamptz(o.payload ->> 'captured_at'), o.received_at) AS occurred_at
  FROM warehouse.stg_sync_ops o, bounds b
  WHERE o.txid >= b.lo AND o.txid < b.hi AND o.entity IN ('document', 'image')
), cal AS (
  SELECT min(calendar_date) AS lo, max(calendar_date) AS hi FROM warehouse.dim_calendar
), first_device AS (
  SELECT DISTINCT ON (d.device_id) d.device_id, d.device_key
  FROM warehouse.dim_device d WHERE d.device_id IN (SELECT device_id FROM ops) ORDER BY d.device_id, d.valid_from
)
INSERT INTO warehouse.fact_events (
  event_key, event_type, staging_table, staging_ingest_id, record_index, entity_id, patient_id, entity_key,
  device_key, source_key, date_key, occurred_at, version, file_sha256, size_bytes, content_type, file_name,
  received_at, payload, payload_sha256)
SELECT warehouse.stable_key('fact_events', 'sync_inbound', o.version::text, '0'),
       o.entity, 'sync_inbound', o.version, 0, o.entity_id, o.patient_id, e.entity_key,
       coalesce(d.device_key, fd.device_key), src.source_key,
       CASE WHEN o.occurred_at::date BETWEEN cal.lo AND cal.hi THEN to_char(o.occurred_at, 'YYYYMMDD')::int END,
       o.occurred_at, o.version, lower(o.payload ->> 'sha256'), warehouse.try_numeric(o.payload -> 'size')::bigint,
       o.payload ->> 'content_type', o.payload ->> 'file_name', o.received_at, o.payload, o.payload_sha256
FROM ops o
CROSS JOIN cal
JOIN warehouse.dim_source src ON src.source_name = o.source_name AND src.is_current
LEFT JOIN warehouse.dim_device d
  ON d.device_id = o.device_id AND d.valid_from <= o.received_at AND (d.valid_to IS NULL OR d.valid_to > o.received_at)
LEFT JOIN first_device fd ON fd.device_id = o.device_id
LEFT JOIN warehouse.dim_entity e
  ON e.entity_type = 'patient' AND e.natural_key = o.patient_id::text
 AND e.valid_from <= o.received_at AND (e.valid_to IS NULL OR e.valid_to > o.received_at)
ON CONFLICT ON CONSTRAINT fact_events_origin DO NOTHING;
