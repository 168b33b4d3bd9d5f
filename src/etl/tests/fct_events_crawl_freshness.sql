-- model: fct_events_crawl
-- severity: warn
-- Freshness: crawled or imported rows that arrived more than 15 minutes ago
-- and still wait beyond this run's window.
SELECT 'crawl_raw' AS staging_table, count(*) AS waiting, min(c.received_at) AS oldest
FROM staging.crawl_raw c
WHERE c.txid >= current_setting('nexus.etl_to')::xid8 AND c.received_at < now() - interval '15 minutes'
HAVING count(*) > 0
UNION ALL
SELECT 'import_raw', count(*), min(i.received_at)
FROM staging.import_raw i
WHERE i.txid >= current_setting('nexus.etl_to')::xid8 AND i.received_at < now() - interval '15 minutes'
HAVING count(*) > 0;
