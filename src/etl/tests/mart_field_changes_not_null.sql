-- model: mart_field_changes
-- severity: error
-- Every change a device may pull names its origin device and hash.
SELECT change_id FROM mart_field.changes
WHERE txid = pg_current_xact_id() AND (origin_device IS NULL OR payload_sha256 IS NULL OR payload IS NULL);
