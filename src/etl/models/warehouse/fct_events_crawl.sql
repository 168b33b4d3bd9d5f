-- model: fct_events_crawl
-- kind: incremental
-- sources: staging.crawl_raw
-- depends_on: stg_crawl_records, dim_source, dim_entity_reference, dim_calendar, fct_events
-- Crawled observations: one fact_events row per record of each stored body
-- (event_type 'crawl', record_index = the record's position in the body).
-- occurred_at is the source's time_field when it declares one, else the
-- fetch time. Quarantined: bodies that did not parse or hold no records at
-- the records path, records that are not JSON objects, and time fields that
-- are not a time. No `targets:` — fact_events belongs to fct_events, whose
-- full refresh rebuilds this model (downstream); reruns insert nothing twice.

CREATE TEMP TABLE _crawl_events ON COMMIT DROP AS
WITH bounds AS (
  SELECT current_setting('nexus.etl_from')::xid8 AS lo, current_setting('nexus.etl_to')::xid8 AS hi
)
SELECT r.*, d.time_field, d.entity_type, d.key_field,
       CASE WHEN d.time_field IS NOT NULL AND jsonb_typeof(r.record -> d.time_field) = 'string' THEN r.record ->> d.time_field END AS time_text,
       CASE
         WHEN r.problem IS NOT NULL THEN r.problem
         WHEN jsonb_typeof(r.record) <> 'object' THEN 'record_not_object'
         WHEN d.time_field IS NOT NULL AND r.record -> d.time_field IS NOT NULL AND jsonb_typeof(r.record -> d.time_field) <> 'null'
              AND (jsonb_typeof(r.record -> d.time_field) <> 'string' OR warehouse.try_timestamptz_any(r.record ->> d.time_field) IS NULL)
              THEN 'invalid_occurred_at'
       END AS reject_code
FROM warehouse.stg_crawl_records r
LEFT JOIN nexus.sources d ON d.source_name = r.source_name
CROSS JOIN bounds b
WHERE r.txid >= b.lo AND r.txid < b.hi;

INSERT INTO warehouse.quarantine (quarantine_key, model, staging_table, staging_ingest_id, record_index, reason_code, reason, raw, received_at)
SELECT warehouse.stable_key('quarantine', 'fct_events_crawl', 'crawl_raw', e.ingest_id::text, e.record_index::text, e.reject_code),
       'fct_events_crawl', 'crawl_raw', e.ingest_id, e.record_index, e.reject_code,
       CASE e.reject_code
         WHEN 'unparseable_body' THEN 'the body fetched from ' || e.url || ' did not parse as the source''s kind'
         WHEN 'no_records' THEN 'the body fetched from ' || e.url || ' holds no records at the source''s records_path'
         WHEN 'record_not_object' THEN 'record ' || e.record_index || ' is a JSON ' || jsonb_typeof(e.record) || ', not an object'
         ELSE 'the time field "' || e.time_field || '" is not a time: ' || coalesce(e.record ->> e.time_field, '')
       END,
       coalesce(e.record, jsonb_build_object('url', e.url, 'body_sha256', e.body_sha256)), e.received_at
FROM _crawl_events e
WHERE e.reject_code IS NOT NULL
ON CONFLICT ON CONSTRAINT quarantine_origin DO NOTHING;

INSERT INTO warehouse.fact_events (
  event_key, event_type, staging_table, staging_ingest_id, record_index, entity_key, source_key, date_key,
  occurred_at, file_sha256, content_type, file_name, received_at, payload)
SELECT warehouse.stable_key('fact_events', 'crawl_raw', e.ingest_id::text, e.record_index::text),
       'crawl', 'crawl_raw', e.ingest_id, e.record_index,
       (SELECT k.entity_key FROM warehouse.dim_entity k
         WHERE k.entity_type = e.entity_type AND k.natural_key = nullif(btrim(e.record ->> e.key_field), '')
         ORDER BY (k.valid_from <= e.received_at) DESC, CASE WHEN k.valid_from <= e.received_at THEN k.valid_from END DESC, k.valid_from
         LIMIT 1),
       src.source_key,
       (SELECT c.date_key FROM warehouse.dim_calendar c WHERE c.calendar_date = e.occurred_at::date),
       e.occurred_at, e.body_sha256, e.content_type, e.url, e.received_at, e.record
FROM (SELECT x.*, coalesce(warehouse.try_timestamptz_any(x.time_text), x.fetched_at) AS occurred_at FROM _crawl_events x WHERE x.reject_code IS NULL) e
JOIN warehouse.dim_source src ON src.source_name = e.source_name AND src.is_current
ON CONFLICT ON CONSTRAINT fact_events_origin DO NOTHING;
