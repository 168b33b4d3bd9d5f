-- model: fct_events_crawl
-- severity: error
-- Every crawl event loaded by this run names its source and a real record
-- position inside a stored body.
SELECT f.event_key, f.staging_ingest_id, f.record_index
FROM warehouse.fact_events f
LEFT JOIN staging.crawl_raw c ON c.ingest_id = f.staging_ingest_id
WHERE f.loaded_txid = pg_current_xact_id() AND f.event_type = 'crawl'
  AND (c.ingest_id IS NULL OR f.source_key IS NULL OR f.record_index < 0 OR f.staging_table <> 'crawl_raw');
