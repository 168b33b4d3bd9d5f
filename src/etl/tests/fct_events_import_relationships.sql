-- model: fct_events_import
-- severity: error
-- Every import event loaded by this run comes from an import_raw row of a
-- finished import, carrying that file's sha256.
SELECT f.event_key, f.staging_ingest_id
FROM warehouse.fact_events f
LEFT JOIN staging.import_raw i ON i.ingest_id = f.staging_ingest_id
WHERE f.loaded_txid = pg_current_xact_id() AND f.event_type = 'import'
  AND (i.ingest_id IS NULL OR f.file_sha256 IS DISTINCT FROM i.file_sha256 OR f.staging_table <> 'import_raw');
