-- The (day, device) pairs an ETL window touches through sessions: the days of
-- every version of each session loaded in [lo, hi), old versions included,
-- since an edit may move a session to another day. The daily session and
-- measure marts both rebuild exactly these pairs; one definition keeps them
-- agreeing.
CREATE FUNCTION warehouse.session_days_touched(lo xid8, hi xid8)
RETURNS TABLE (session_date date, device_id uuid)
LANGUAGE sql STABLE PARALLEL SAFE
BEGIN ATOMIC
  WITH sessions AS (
    SELECT DISTINCT t.session_id FROM warehouse.fact_transactions t WHERE t.loaded_txid >= lo AND t.loaded_txid < hi
  )
  SELECT DISTINCT coalesce(t.started_at, t.received_at)::date, d.device_id
  FROM warehouse.fact_transactions t JOIN sessions USING (session_id) JOIN warehouse.dim_device d ON d.device_key = t.device_key;
END;

GRANT EXECUTE ON FUNCTION warehouse.session_days_touched(xid8, xid8) TO nexus_etl;
