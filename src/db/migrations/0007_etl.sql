-- ETL bookkeeping and the change-tracking it relies on.
--
-- Incremental windows by transaction id: every row that ETL reads carries
-- the id of the transaction that wrote it (txid). A run processes the rows
-- whose txid lies in [watermark, xmin of its snapshot): every transaction
-- below the snapshot's xmin has finished, so no row can still appear in that
-- window later, and none is read twice. A bare sequence or now() as
-- watermark would skip rows whose transaction commits late.

ALTER TABLE staging.sync_inbound ADD COLUMN txid xid8 NOT NULL DEFAULT pg_current_xact_id();
ALTER TABLE staging.crawl_raw    ADD COLUMN txid xid8 NOT NULL DEFAULT pg_current_xact_id();
ALTER TABLE staging.import_raw   ADD COLUMN txid xid8 NOT NULL DEFAULT pg_current_xact_id();
ALTER TABLE nexus.sync_requests  ADD COLUMN txid xid8 NOT NULL DEFAULT pg_current_xact_id();
CREATE INDEX sync_inbound_txid ON staging.sync_inbound (txid);
CREATE INDEX crawl_raw_txid ON staging.crawl_raw (txid);
CREATE INDEX import_raw_txid ON staging.import_raw (txid);
CREATE INDEX sync_requests_txid ON nexus.sync_requests (txid);

-- Deterministic surrogate keys: a rebuild, or a rerun after a crash, gives
-- every row the same key (sequences would not: a rolled-back run burns values).
CREATE FUNCTION warehouse.stable_key(VARIADIC parts text[]) RETURNS bigint
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN ('x' || left(md5(array_to_string(parts, chr(31), '')), 16))::bit(64)::bigint;
GRANT EXECUTE ON FUNCTION warehouse.stable_key(text[]) TO nexus_etl;

ALTER TABLE warehouse.dim_source        ALTER COLUMN source_key DROP IDENTITY;
ALTER TABLE warehouse.dim_device        ALTER COLUMN device_key DROP IDENTITY;
ALTER TABLE warehouse.dim_entity        ALTER COLUMN entity_key DROP IDENTITY;
ALTER TABLE warehouse.fact_transactions ALTER COLUMN transaction_key DROP IDENTITY;
ALTER TABLE warehouse.fact_events       ALTER COLUMN event_key DROP IDENTITY;
ALTER TABLE warehouse.fact_sync_log     ALTER COLUMN sync_log_key DROP IDENTITY;

-- Downstream models read warehouse rows by the transaction that last wrote them.
ALTER TABLE warehouse.dim_device        ADD COLUMN loaded_txid xid8 NOT NULL DEFAULT pg_current_xact_id();
ALTER TABLE warehouse.dim_entity        ADD COLUMN loaded_txid xid8 NOT NULL DEFAULT pg_current_xact_id();
ALTER TABLE warehouse.dim_source        ADD COLUMN loaded_txid xid8 NOT NULL DEFAULT pg_current_xact_id();
ALTER TABLE warehouse.fact_transactions ADD COLUMN loaded_txid xid8 NOT NULL DEFAULT pg_current_xact_id();
ALTER TABLE warehouse.fact_events       ADD COLUMN loaded_txid xid8 NOT NULL DEFAULT pg_current_xact_id();
ALTER TABLE warehouse.fact_sync_log     ADD COLUMN loaded_txid xid8 NOT NULL DEFAULT pg_current_xact_id();
CREATE INDEX dim_entity_loaded ON warehouse.dim_entity (loaded_txid);
CREATE INDEX fact_transactions_loaded ON warehouse.fact_transactions (loaded_txid);
CREATE INDEX fact_events_loaded ON warehouse.fact_events (loaded_txid);
CREATE INDEX fact_sync_log_loaded ON warehouse.fact_sync_log (loaded_txid);
CREATE INDEX fact_transactions_unbound ON warehouse.fact_transactions (patient_id) WHERE entity_key IS NULL;

-- Pulls hand devices the hash each version arrived with (SYNC_PROTOCOL §4).
ALTER TABLE warehouse.dim_entity        ADD COLUMN payload_sha256 text;
ALTER TABLE warehouse.fact_transactions ADD COLUMN payload_sha256 text;
ALTER TABLE warehouse.fact_events       ADD COLUMN payload_sha256 text;
-- The version an op replaced (soft conflicts): the entity's previous version.
CREATE INDEX sync_inbound_entity_version ON staging.sync_inbound (entity_id, ingest_id) WHERE status = 'applied';

-- Rows that failed validation, with the reason; never dropped silently.
CREATE TABLE warehouse.quarantine (
  quarantine_key     bigint PRIMARY KEY,
  model              text NOT NULL,
  staging_table      text NOT NULL,
  staging_ingest_id  bigint NOT NULL,
  reason_code        text NOT NULL,
  reason             text NOT NULL,
  raw                jsonb NOT NULL,
  received_at        timestamptz NOT NULL,
  loaded_txid        xid8 NOT NULL DEFAULT pg_current_xact_id(),
  CONSTRAINT quarantine_origin UNIQUE (model, staging_table, staging_ingest_id, reason_code)
);
CREATE INDEX quarantine_loaded ON warehouse.quarantine (loaded_txid);

-- Soft conflicts (SYNC_PROTOCOL §2): an op whose base_version was older than
-- the entity's version at arrival, when that version came from another device.
CREATE TABLE warehouse.fact_conflicts (
  version                 bigint PRIMARY KEY,      -- the op that arrived on a stale base
  entity                  text NOT NULL,
  entity_id               uuid NOT NULL,
  patient_id              uuid NOT NULL,
  device_id               uuid NOT NULL,
  base_version            bigint,
  superseded_version      bigint NOT NULL,         -- the version current on the server at arrival
  superseded_device_id    uuid NOT NULL,
  received_at             timestamptz NOT NULL,
  loaded_txid             xid8 NOT NULL DEFAULT pg_current_xact_id()
);
CREATE INDEX fact_conflicts_loaded ON warehouse.fact_conflicts (loaded_txid);

-- What devices pull (SYNC_PROTOCOL §4): one row per accepted version, in a
-- commit-safe order (txid, change_id); pulls read only below the snapshot xmin.
CREATE TABLE mart_field.changes (
  change_id       bigint PRIMARY KEY,               -- = version
  txid            xid8 NOT NULL DEFAULT pg_current_xact_id(),
  entity          text NOT NULL,
  patient_id      uuid NOT NULL,
  entity_id       uuid NOT NULL,
  version         bigint NOT NULL,
  origin_device   uuid NOT NULL,
  payload_sha256  text NOT NULL,
  payload         jsonb NOT NULL,
  groups          text[] NOT NULL,
  received_at     timestamptz NOT NULL
);
CREATE INDEX changes_order ON mart_field.changes (txid, change_id);
CREATE INDEX changes_entity_version ON mart_field.changes (entity_id, version);

-- The groups that see a patient: those of the device that first sent it.
CREATE TABLE mart_field.patients (
  patient_id     uuid PRIMARY KEY,
  groups         text[] NOT NULL,
  first_version  bigint NOT NULL,
  first_seen_at  timestamptz NOT NULL
);

-- Pull cursors older than what retention removed get 410 cursor_expired.
CREATE TABLE mart_field.retention (
  only_row           boolean PRIMARY KEY DEFAULT true CHECK (only_row),
  pruned_before_txid xid8 NOT NULL DEFAULT '0'
);
INSERT INTO mart_field.retention DEFAULT VALUES;

-- ETL state: one watermark per model, one row per model run.
CREATE TABLE nexus.etl_watermarks (
  model        text PRIMARY KEY,
  through_txid xid8 NOT NULL,
  updated_at   timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE nexus.etl_runs (
  run_id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  model          text NOT NULL,
  status         text NOT NULL CHECK (status IN ('ok', 'failed', 'test_failed', 'skipped')),
  started_at     timestamptz NOT NULL,
  finished_at    timestamptz NOT NULL DEFAULT clock_timestamp(),
  window_from    xid8,
  window_to      xid8,
  rows_affected  bigint,
  full_refresh   boolean NOT NULL DEFAULT false,
  error          text,
  test_failures  jsonb,
  worker         text
);
CREATE INDEX etl_runs_model_time ON nexus.etl_runs (model, started_at DESC);

GRANT SELECT, INSERT, UPDATE, DELETE ON nexus.etl_watermarks TO nexus_etl;
GRANT SELECT, INSERT ON nexus.etl_runs TO nexus_etl;
GRANT SELECT ON nexus.sync_requests TO nexus_etl;
GRANT SELECT ON nexus.etl_watermarks, nexus.etl_runs TO nexus_health;

-- The sync API asks for an ETL run without any right on the job queue: this
-- function (owned by nexus_owner) adds one debounced job; a burst of pushes
-- yields one run, and a push during a run yields one more run after it.
CREATE FUNCTION nexus.request_etl() RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
  PERFORM graphile_worker.add_job('etl_staging', '{}'::json,
    run_at := now() + interval '500 milliseconds',
    job_key := 'etl_staging', job_key_mode := 'preserve_run_at', max_attempts := 5);
END $$;
REVOKE ALL ON FUNCTION nexus.request_etl() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION nexus.request_etl() TO nexus_sync, nexus_crawl, nexus_import;

-- Forgiving conversions for device JSON (every field may be missing or odd):
-- NULL instead of an error, so a model can route the row to quarantine.
-- PostgreSQL 16+ checks input without raising (pg_input_is_valid); on 15 a
-- PL/pgSQL exception block does it, at the price of a subtransaction per
-- call (and it may not run in parallel workers). Shapes are checked first.
DO $do$
BEGIN
  IF current_setting('server_version_num')::int >= 160000 THEN
    CREATE FUNCTION warehouse.try_date(v text) RETURNS date
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN CASE WHEN v ~ '^\d{4}-\d{2}-\d{2}$' AND pg_input_is_valid(v, 'date') THEN v::date END;
    CREATE FUNCTION warehouse.try_timestamptz(v text) RETURNS timestamptz
    LANGUAGE sql STABLE PARALLEL SAFE
    RETURN CASE WHEN v ~ '^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?([Zz]|[+-]\d{2}(:?\d{2})?)$'
                 AND pg_input_is_valid(v, 'timestamptz') THEN v::timestamptz END;
  ELSE
    CREATE FUNCTION warehouse.try_date(v text) RETURNS date
    LANGUAGE plpgsql IMMUTABLE AS $$
    BEGIN
      IF v IS NULL OR v !~ '^\d{4}-\d{2}-\d{2}$' THEN RETURN NULL; END IF;
      RETURN v::date;
    EXCEPTION WHEN others THEN RETURN NULL;
    END $$;
    CREATE FUNCTION warehouse.try_timestamptz(v text) RETURNS timestamptz
    LANGUAGE plpgsql STABLE AS $$
    BEGIN
      IF v IS NULL OR v !~ '^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?([Zz]|[+-]\d{2}(:?\d{2})?)$' THEN RETURN NULL; END IF;
      RETURN v::timestamptz;
    EXCEPTION WHEN others THEN RETURN NULL;
    END $$;
  END IF;
END $do$;

-- A JSON number (or numeric string) as numeric; NULL for anything else.
CREATE FUNCTION warehouse.try_numeric(v jsonb) RETURNS numeric
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN CASE
  WHEN jsonb_typeof(v) = 'number' THEN (v #>> '{}')::numeric
  WHEN jsonb_typeof(v) = 'string' AND (v #>> '{}') ~ '^\s*-?\d+(\.\d+)?\s*$' THEN (v #>> '{}')::numeric
END;

GRANT EXECUTE ON FUNCTION warehouse.try_date(text), warehouse.try_timestamptz(text), warehouse.try_numeric(jsonb) TO nexus_etl;
