-- model: dim_source
-- kind: incremental
-- sources: staging.sync_inbound, staging.crawl_raw, staging.import_raw, nexus.sources
-- targets: warehouse.dim_source
-- Every source that delivered data: the field devices, each crawl source,
-- each import source. A source keeps its first row (its key never changes);
-- the description and configuration of crawl and import sources follow
-- their declaration in nexus.sources (type 1: overwritten in place, so a
-- rebuild gives the same table).

CREATE TEMP TABLE _source_decl ON COMMIT DROP AS
SELECT s.source_name, s.source_kind, s.description,
       jsonb_build_object('entity_type', s.entity_type, 'key_field', s.key_field, 'time_field', s.time_field,
                          'records_path', to_jsonb(s.records_path)) || s.config AS config,
       s.txid
FROM nexus.sources s;

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
INSERT INTO warehouse.dim_source (source_key, source_name, source_kind, description, config, valid_from, is_current, change_hash)
SELECT warehouse.stable_key('dim_source', f.source_name, f.first_seen_at::text),
       f.source_name, f.source_kind, d.description, coalesce(d.config, '{}'), f.first_seen_at, true,
       CASE WHEN d.source_name IS NULL THEN md5(f.source_kind)
            ELSE md5(f.source_kind || '|' || coalesce(d.description, '') || '|' || d.config::text) END
FROM first_seen f
LEFT JOIN _source_decl d ON d.source_name = f.source_name AND d.source_kind = f.source_kind
WHERE NOT EXISTS (SELECT 1 FROM warehouse.dim_source x WHERE x.source_name = f.source_name);

-- Declarations changed in this window: the current row takes them over.
UPDATE warehouse.dim_source x
SET description = d.description, config = d.config,
    change_hash = md5(x.source_kind || '|' || coalesce(d.description, '') || '|' || d.config::text),
    loaded_txid = pg_current_xact_id()
FROM _source_decl d
WHERE d.txid >= current_setting('nexus.etl_from')::xid8 AND d.txid < current_setting('nexus.etl_to')::xid8
  AND x.source_name = d.source_name AND x.source_kind = d.source_kind AND x.is_current
  AND x.change_hash IS DISTINCT FROM md5(x.source_kind || '|' || coalesce(d.description, '') || '|' || d.config::text);
