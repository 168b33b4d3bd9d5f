-- model: dim_source
-- kind: incremental
-- sources: staging.sync_inbound, staging.crawl_raw, staging.import_raw
-- targets: warehouse.dim_source
-- Every source that delivered data: the field devices, each crawl source,
-- each import source. A source keeps its first row; descriptions and
-- configuration arrive with the crawl and import components.

WITH bounds AS (
  SELECT current_setting('nexus.etl_from')::xid8 AS lo, current_setting('nexus.etl_to')::xid8 AS hi
), seen AS (
  SELECT s.source AS source_name, 'field' AS source_kind, min(s.received_at) AS first_seen_at
    FROM staging.sync_inbound s, bounds b WHERE s.txid >= b.lo AND s.txid < b.hi GROUP BY s.source
  UNION ALL
  SELECT c.source, 'crawl', min(c.received_at)
    FROM staging.crawl_raw c, bounds b WHERE c.txid >= b.lo AND c.txid < b.hi GROUP BY c.source
  UNION ALL
  SELECT i.source, 'import', min(i.received_at)
    FROM staging.import_raw i, bounds b WHERE i.txid >= b.lo AND i.txid < b.hi GROUP BY i.source
), first_seen AS (
  SELECT source_name, min(source_kind) AS source_kind, min(first_seen_at) AS first_seen_at FROM seen GROUP BY source_name
)
INSERT INTO warehouse.dim_source (source_key, source_name, source_kind, valid_from, is_current, change_hash)
SELECT warehouse.stable_key('dim_source', f.source_name, f.first_seen_at::text),
       f.source_name, f.source_kind, f.first_seen_at, true, md5(f.source_kind)
FROM first_seen f
WHERE NOT EXISTS (SELECT 1 FROM warehouse.dim_source d WHERE d.source_name = f.source_name);
