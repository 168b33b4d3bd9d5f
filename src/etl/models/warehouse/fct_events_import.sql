-- model: fct_events_import
-- kind: incremental
-- sources: staging.import_raw
-- depends_on: dim_source, dim_entity_reference, dim_calendar, fct_events
-- Imported records: one fact_events row per row of staging.import_raw
-- (event_type 'import', record_index 0), with the file it came from
-- (file_sha256, file_name). occurred_at is the source's time_field when it
-- declares one, else the time of the import; a time field that is not a
-- time sends the row to quarantine. No `targets:` (see fct_events_crawl).

CREATE TEMP TABLE _import_events ON COMMIT DROP AS
WITH bounds AS (
  SELECT current_setting('nexus.etl_from')::xid8 AS lo, current_setting('nexus.etl_to')::xid8 AS hi
)
SELECT i.ingest_id, i.received_at, i.source AS source_name, i.import_id, i.file_sha256, i.line_number, i.raw,
       d.time_field, d.entity_type, d.key_field,
       CASE WHEN d.time_field IS NOT NULL AND jsonb_typeof(i.raw -> d.time_field) = 'string' THEN i.raw ->> d.time_field END AS time_text,
       CASE
         WHEN d.time_field IS NOT NULL AND i.raw -> d.time_field IS NOT NULL AND jsonb_typeof(i.raw -> d.time_field) <> 'null'
              AND btrim(i.raw ->> d.time_field) <> ''
              AND (jsonb_typeof(i.raw -> d.time_field) <> 'string' OR warehouse.try_timestamptz_any(i.raw ->> d.time_field) IS NULL)
              THEN 'invalid_occurred_at'
       END AS reject_code
FROM staging.import_raw i
LEFT JOIN nexus.sources d ON d.source_name = i.source
CROSS JOIN bounds b
WHERE i.txid >= b.lo AND i.txid < b.hi;

INSERT INTO warehouse.quarantine (quarantine_key, model, staging_table, staging_ingest_id, record_index, reason_code, reason, raw, received_at)
SELECT warehouse.stable_key('quarantine', 'fct_events_import', 'import_raw', e.ingest_id::text, '0', e.reject_code),
       'fct_events_import', 'import_raw', e.ingest_id, 0, e.reject_code,
       'line ' || e.line_number || ': the time field "' || e.time_field || '" is not a time: ' || coalesce(e.raw ->> e.time_field, ''),
       e.raw, e.received_at
FROM _import_events e
WHERE e.reject_code IS NOT NULL
ON CONFLICT ON CONSTRAINT quarantine_origin DO NOTHING;

INSERT INTO warehouse.fact_events (
  event_key, event_type, staging_table, staging_ingest_id, record_index, entity_key, source_key, date_key,
  occurred_at, file_sha256, file_name, received_at, payload)
SELECT warehouse.stable_key('fact_events', 'import_raw', e.ingest_id::text, '0'),
       'import', 'import_raw', e.ingest_id, 0,
       (SELECT k.entity_key FROM warehouse.dim_entity k
         WHERE k.entity_type = e.entity_type AND k.natural_key = nullif(btrim(e.raw ->> e.key_field), '')
         ORDER BY (k.valid_from <= e.received_at) DESC, CASE WHEN k.valid_from <= e.received_at THEN k.valid_from END DESC, k.valid_from
         LIMIT 1),
       src.source_key,
       (SELECT c.date_key FROM warehouse.dim_calendar c WHERE c.calendar_date = e.occurred_at::date),
       e.occurred_at, e.file_sha256, imp.file_name, e.received_at, e.raw
FROM (SELECT x.*, coalesce(warehouse.try_timestamptz_any(x.time_text), x.received_at) AS occurred_at FROM _import_events x WHERE x.reject_code IS NULL) e
JOIN warehouse.dim_source src ON src.source_name = e.source_name AND src.is_current
LEFT JOIN nexus.imports imp ON imp.import_id = e.import_id
ON CONFLICT ON CONSTRAINT fact_events_origin DO NOTHING;
