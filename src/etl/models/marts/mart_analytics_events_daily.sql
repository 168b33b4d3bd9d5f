-- model: mart_analytics_events_daily
-- kind: incremental
-- sources: warehouse.fact_events
-- depends_on: fct_events, dim_device, dim_source
-- targets: mart_analytics.events_daily
-- Documents, images, crawled and imported records per day, type, source and
-- device (the nil UUID when no device sent them). event_count counts
-- distinct entities (a document's metadata edits are versions of one).

CREATE TEMP TABLE _touched_event_days ON COMMIT DROP AS
WITH bounds AS (
  SELECT current_setting('nexus.etl_from')::xid8 AS lo, current_setting('nexus.etl_to')::xid8 AS hi
)
SELECT DISTINCT coalesce(v.occurred_at, v.received_at)::date AS event_date, v.event_type
FROM warehouse.fact_events v, bounds b WHERE v.loaded_txid >= b.lo AND v.loaded_txid < b.hi;

DELETE FROM mart_analytics.events_daily x USING _touched_event_days k
WHERE x.event_date = k.event_date AND x.event_type = k.event_type;

INSERT INTO mart_analytics.events_daily (event_date, event_type, source_name, device_id, event_count, version_count, patient_count, size_bytes_sum)
SELECT coalesce(v.occurred_at, v.received_at)::date, v.event_type, s.source_name,
       coalesce(d.device_id, '00000000-0000-0000-0000-000000000000'::uuid),
       count(DISTINCT coalesce(v.entity_id::text, v.event_key::text)), count(*), count(DISTINCT v.patient_id), coalesce(sum(v.size_bytes), 0)
FROM warehouse.fact_events v
JOIN _touched_event_days k ON k.event_date = coalesce(v.occurred_at, v.received_at)::date AND k.event_type = v.event_type
JOIN warehouse.dim_source s ON s.source_key = v.source_key
LEFT JOIN warehouse.dim_device d ON d.device_key = v.device_key
GROUP BY 1, 2, 3, 4;
