-- model: dim_entity_reference
-- kind: incremental
-- sources: staging.crawl_raw, staging.import_raw
-- depends_on: stg_crawl_records, dim_source, dim_entity
-- Reference entities from crawl and import sources that declare an entity
-- type and a key field (nexus.sources): SCD type 2 rows in
-- warehouse.dim_entity with entity_type = the declared type and
-- natural_key = the record's key. Records without a usable key go to
-- quarantine. No `targets:` — dim_entity and quarantine belong to the
-- dim_entity model, whose full refresh rebuilds this one (downstream); run
-- alone, a rerun over old rows changes nothing (older versions than the
-- current one are ignored, equal content makes no new row).

CREATE TEMP TABLE _ref_records ON COMMIT DROP AS
WITH bounds AS (
  SELECT current_setting('nexus.etl_from')::xid8 AS lo, current_setting('nexus.etl_to')::xid8 AS hi
), decl AS (
  SELECT source_name, entity_type, key_field FROM nexus.sources WHERE entity_type IS NOT NULL
), recs AS (
  SELECT 'crawl_raw' AS staging_table, r.ingest_id, r.record_index, r.received_at, r.source_name,
         d.entity_type, d.key_field, r.record AS payload
  FROM warehouse.stg_crawl_records r JOIN decl d ON d.source_name = r.source_name, bounds b
  WHERE r.txid >= b.lo AND r.txid < b.hi AND jsonb_typeof(r.record) = 'object'
  UNION ALL
  SELECT 'import_raw', i.ingest_id, 0, i.received_at, i.source, d.entity_type, d.key_field, i.raw
  FROM staging.import_raw i JOIN decl d ON d.source_name = i.source, bounds b
  WHERE i.txid >= b.lo AND i.txid < b.hi
)
SELECT r.*,
       CASE WHEN jsonb_typeof(r.payload -> r.key_field) IN ('string', 'number') THEN nullif(btrim(r.payload ->> r.key_field), '') END AS natural_key,
       CASE
         WHEN r.payload -> r.key_field IS NULL OR jsonb_typeof(r.payload -> r.key_field) = 'null'
              OR btrim(r.payload ->> r.key_field) = '' THEN 'missing_key'
         WHEN jsonb_typeof(r.payload -> r.key_field) NOT IN ('string', 'number') THEN 'invalid_key'
       END AS reject_code
FROM recs r;

INSERT INTO warehouse.quarantine (quarantine_key, model, staging_table, staging_ingest_id, record_index, reason_code, reason, raw, received_at)
SELECT warehouse.stable_key('quarantine', 'dim_entity_reference', r.staging_table, r.ingest_id::text, r.record_index::text, r.reject_code),
       'dim_entity_reference', r.staging_table, r.ingest_id, r.record_index, r.reject_code,
       CASE r.reject_code
         WHEN 'missing_key' THEN 'the key field "' || r.key_field || '" of ' || r.entity_type || ' records is missing or empty'
         ELSE 'the key field "' || r.key_field || '" is a JSON ' || jsonb_typeof(r.payload -> r.key_field) || ', not a string or number'
       END,
       r.payload, r.received_at
FROM _ref_records r
WHERE r.reject_code IS NOT NULL
ON CONFLICT ON CONSTRAINT quarantine_origin DO NOTHING;

CREATE TEMP TABLE _ref_states ON COMMIT DROP AS
WITH valid AS (
  SELECT r.*, md5(r.payload::text) AS change_hash, cur.change_hash AS current_hash, cur.valid_from AS current_from
  FROM _ref_records r
  LEFT JOIN warehouse.dim_entity cur ON cur.entity_type = r.entity_type AND cur.natural_key = r.natural_key AND cur.is_current
  WHERE r.reject_code IS NULL
    -- Already represented: what arrived before the current version.
    AND (cur.valid_from IS NULL OR r.received_at >= cur.valid_from)
), per_instant AS (
  -- Records of one instant (one import, one crawled body): the last one stands.
  SELECT DISTINCT ON (entity_type, natural_key, received_at) *
  FROM valid ORDER BY entity_type, natural_key, received_at, staging_table DESC, ingest_id DESC, record_index DESC
), changed AS (
  SELECT x.*, lag(x.change_hash) OVER (PARTITION BY x.entity_type, x.natural_key ORDER BY x.received_at) AS prev_hash FROM per_instant x
)
SELECT c.*, greatest(c.received_at, c.current_from + interval '1 microsecond') AS valid_from
FROM changed c
WHERE c.change_hash IS DISTINCT FROM coalesce(c.prev_hash, c.current_hash);

UPDATE warehouse.dim_entity d
SET valid_to = s.first_from, is_current = false, loaded_txid = pg_current_xact_id()
FROM (SELECT entity_type, natural_key, min(valid_from) AS first_from FROM _ref_states GROUP BY entity_type, natural_key) s
WHERE d.entity_type = s.entity_type AND d.natural_key = s.natural_key AND d.is_current;

INSERT INTO warehouse.dim_entity (
  entity_key, source_key, entity_type, natural_key, external_ref, staging_ingest_id, payload,
  valid_from, valid_to, is_current, change_hash)
SELECT warehouse.stable_key('dim_entity', s.entity_type, s.natural_key, s.valid_from::text),
       src.source_key, s.entity_type, s.natural_key, s.natural_key, s.ingest_id, s.payload,
       s.valid_from,
       lead(s.valid_from) OVER (PARTITION BY s.entity_type, s.natural_key ORDER BY s.valid_from),
       lead(s.valid_from) OVER (PARTITION BY s.entity_type, s.natural_key ORDER BY s.valid_from) IS NULL,
       s.change_hash
FROM _ref_states s
JOIN warehouse.dim_source src ON src.source_name = s.source_name AND src.is_current;
