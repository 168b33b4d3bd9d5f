-- model: dim_device
-- severity: error
-- SCD2: one current row per device touched, intervals contiguous.
WITH touched AS (
  SELECT DISTINCT device_id FROM warehouse.dim_device WHERE loaded_txid = pg_current_xact_id()
), rows AS (
  SELECT d.device_id, d.valid_to, d.is_current, lead(d.valid_from) OVER (PARTITION BY d.device_id ORDER BY d.valid_from) AS next_from
  FROM warehouse.dim_device d JOIN touched USING (device_id)
)
SELECT device_id, 'current rows: ' || count(*) FILTER (WHERE is_current) AS problem FROM rows GROUP BY device_id
HAVING count(*) FILTER (WHERE is_current) <> 1
UNION ALL
SELECT device_id, 'validity intervals do not meet' FROM rows WHERE valid_to IS DISTINCT FROM next_from;
