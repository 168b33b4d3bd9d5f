-- model: dim_entity
-- severity: error
-- SCD2: every patient touched by this run has exactly one current row, and
-- its rows' validity intervals follow each other without gaps or overlaps.
WITH touched AS (
  SELECT DISTINCT natural_key FROM warehouse.dim_entity WHERE entity_type = 'patient' AND loaded_txid = pg_current_xact_id()
), rows AS (
  SELECT e.natural_key, e.valid_from, e.valid_to, e.is_current,
         lead(e.valid_from) OVER (PARTITION BY e.natural_key ORDER BY e.valid_from) AS next_from
  FROM warehouse.dim_entity e JOIN touched t USING (natural_key) WHERE e.entity_type = 'patient'
)
SELECT natural_key, 'current rows: ' || count(*) FILTER (WHERE is_current) AS problem FROM rows GROUP BY natural_key
HAVING count(*) FILTER (WHERE is_current) <> 1
UNION ALL
SELECT natural_key, 'interval ' || valid_from || ' → ' || coalesce(valid_to::text, 'open') || ' does not meet ' || coalesce(next_from::text, 'nothing')
FROM rows WHERE valid_to IS DISTINCT FROM next_from;
