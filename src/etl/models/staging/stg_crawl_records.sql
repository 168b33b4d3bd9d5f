-- model: stg_crawl_records
-- kind: view
-- Crawled records: one row per record inside each stored body (at the
-- source's records_path; a JSON object there is one record), numbered by
-- record_index. A body without records gets one row with record NULL and
-- the problem: it did not parse, or nothing sits at the records path.
-- An empty array is a page without records, not a problem.

CREATE OR REPLACE VIEW warehouse.stg_crawl_records AS
WITH bodies AS (
  SELECT c.ingest_id, c.txid, c.received_at, c.fetched_at, c.source AS source_name, c.url,
         c.body_sha256, c.content_type, c.raw, c.raw #> coalesce(s.records_path, '{}') AS records
  FROM staging.crawl_raw c
  LEFT JOIN nexus.sources s ON s.source_name = c.source
)
SELECT b.ingest_id, b.txid, b.received_at, b.fetched_at, b.source_name, b.url, b.body_sha256, b.content_type,
       (e.ord - 1)::int AS record_index, e.value AS record, NULL::text AS problem
FROM bodies b
CROSS JOIN LATERAL jsonb_array_elements(CASE WHEN jsonb_typeof(b.records) = 'array' THEN b.records ELSE '[]' END) WITH ORDINALITY AS e(value, ord)
UNION ALL
SELECT b.ingest_id, b.txid, b.received_at, b.fetched_at, b.source_name, b.url, b.body_sha256, b.content_type,
       0, b.records, NULL
FROM bodies b WHERE jsonb_typeof(b.records) = 'object'
UNION ALL
SELECT b.ingest_id, b.txid, b.received_at, b.fetched_at, b.source_name, b.url, b.body_sha256, b.content_type,
       0, NULL, CASE WHEN b.raw IS NULL THEN 'unparseable_body' ELSE 'no_records' END
FROM bodies b WHERE b.records IS NULL OR jsonb_typeof(b.records) NOT IN ('array', 'object');
