-- model: fct_transactions
-- severity: error
-- Exactly one current version per session touched, and it is the newest.
WITH touched AS (
  SELECT DISTINCT session_id FROM warehouse.fact_transactions WHERE loaded_txid = pg_current_xact_id()
)
SELECT f.session_id, count(*) FILTER (WHERE f.is_current) AS current_rows,
       max(f.version) AS newest, max(f.version) FILTER (WHERE f.is_current) AS current_version
FROM warehouse.fact_transactions f JOIN touched USING (session_id)
GROUP BY f.session_id
HAVING count(*) FILTER (WHERE f.is_current) <> 1 OR max(f.version) <> max(f.version) FILTER (WHERE f.is_current);
