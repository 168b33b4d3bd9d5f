-- model: dim_entity
-- severity: warn
-- Patient sex from the accepted values (missing is fine).
SELECT natural_key, sex FROM warehouse.dim_entity
WHERE loaded_txid = pg_current_xact_id() AND sex IS NOT NULL AND sex NOT IN ('female', 'male', 'diverse', 'other', 'unknown');
