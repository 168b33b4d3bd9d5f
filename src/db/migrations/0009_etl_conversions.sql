-- Faster forgiving conversions, the same on every PostgreSQL version: the
-- shape (including value ranges) is checked by pattern and the day against
-- the month's length, so the cast can no longer fail and no exception block
-- (a subtransaction per call, and no parallel workers) is needed.

CREATE OR REPLACE FUNCTION warehouse.valid_ymd(v text) RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN v ~ '^[1-9]\d{3}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])'
   AND substr(v, 9, 2)::int <= extract(day FROM make_date(substr(v, 1, 4)::int, substr(v, 6, 2)::int, 1) + interval '1 month - 1 day');

CREATE OR REPLACE FUNCTION warehouse.try_date(v text) RETURNS date
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN CASE WHEN v ~ '^\d{4}-\d{2}-\d{2}$' AND warehouse.valid_ymd(v) THEN v::date END;

CREATE OR REPLACE FUNCTION warehouse.try_timestamptz(v text) RETURNS timestamptz
LANGUAGE sql STABLE PARALLEL SAFE
RETURN CASE
  WHEN v ~ '^\d{4}-\d{2}-\d{2}[Tt ]([01]\d|2[0-3]):[0-5]\d(:[0-5]\d(\.\d{1,9})?)?([Zz]|[+-](0\d|1[0-5])(:?[0-5]\d)?)$'
   AND warehouse.valid_ymd(v) THEN v::timestamptz
END;

GRANT EXECUTE ON FUNCTION warehouse.valid_ymd(text) TO nexus_etl;

-- transaction_key is the version already: one unique index is enough.
ALTER TABLE warehouse.fact_transactions DROP CONSTRAINT fact_transactions_version;
