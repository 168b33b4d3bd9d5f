-- model: mart_ops_quarantine
-- kind: incremental
-- sources: warehouse.quarantine
-- depends_on: dim_entity, fct_transactions
-- targets: mart_ops.quarantine
-- Rows that failed validation, with the reason, for review.

WITH bounds AS (
  SELECT current_setting('nexus.etl_from')::xid8 AS lo, current_setting('nexus.etl_to')::xid8 AS hi
)
INSERT INTO mart_ops.quarantine (quarantine_key, model, staging_table, staging_ingest_id, reason_code, reason, received_at, raw)
SELECT q.quarantine_key, q.model, q.staging_table, q.staging_ingest_id, q.reason_code, q.reason, q.received_at, q.raw
FROM warehouse.quarantine q, bounds b
WHERE q.loaded_txid >= b.lo AND q.loaded_txid < b.hi
ON CONFLICT (quarantine_key) DO UPDATE SET
  model = EXCLUDED.model, staging_table = EXCLUDED.staging_table, staging_ingest_id = EXCLUDED.staging_ingest_id,
  reason_code = EXCLUDED.reason_code, reason = EXCLUDED.reason, received_at = EXCLUDED.received_at, raw = EXCLUDED.raw,
  loaded_txid = pg_current_xact_id();
