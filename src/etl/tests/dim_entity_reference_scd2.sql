-- model: dim_entity_reference
-- severity: error
-- SCD2 for reference entities (crawl and import sources): every entity
-- touched by this run has exactly one current row and contiguous intervals.
WITH touched AS (
  SELECT DISTINCT entity_type, natural_key FROM warehouse.dim_entity
  WHERE entity_type <> 'patient' AND loaded_txid = pg_current_xact_id()
), rows AS (
  SELECT e.entity_type, e.natural_key, e.valid_from, e.valid_to, e.is_current,
         lead(e.valid_from) OVER (PARTITION BY e.entity_type, e.natural_key ORDER BY e.valid_from) AS next_from
  FROM warehouse.dim_entity e JOIN touched t USING (entity_type, natural_key)
)
SELECT entity_type, natural_key, 'current rows: ' || count(*) FILTER (WHERE is_current) AS problem FROM rows
GROUP BY entity_type, natural_key HAVING count(*) FILTER (WHERE is_current) <> 1
UNION ALL
SELECT entity_type, natural_key, 'interval ' || valid_from || ' → ' || coalesce(valid_to::text, 'open') || ' does not meet ' || coalesce(next_from::text, 'nothing')
FROM rows WHERE valid_to IS DISTINCT FROM next_from;
