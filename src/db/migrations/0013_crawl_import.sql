-- The crawler's and the importer's own bookkeeping, and the declarations of
-- their sources for the warehouse (dim_source description/config, the entity
-- type and key field of reference data).

-- One row per declared crawl or import source, as its file (crawl) or the
-- import command last described it. txid moves on every change so the ETL
-- picks the new declaration up by its window, like a staging row.
CREATE TABLE nexus.sources (
  source_name  text PRIMARY KEY CHECK (source_name ~ '^[a-z0-9][a-z0-9_.-]{0,62}$'),
  source_kind  text NOT NULL CHECK (source_kind IN ('crawl', 'import')),
  description  text,
  entity_type  text CHECK (entity_type IS NULL OR entity_type ~ '^[a-z][a-z0-9_]{0,62}$'),
  key_field    text,
  time_field   text,
  records_path text[] NOT NULL DEFAULT '{}',
  config       jsonb NOT NULL DEFAULT '{}'::jsonb,
  updated_at   timestamptz NOT NULL DEFAULT now(),
  txid         xid8 NOT NULL DEFAULT pg_current_xact_id(),
  CONSTRAINT sources_patient_reserved CHECK (entity_type IS DISTINCT FROM 'patient'),
  CONSTRAINT sources_key_needs_type CHECK ((key_field IS NULL) = (entity_type IS NULL))
);
CREATE INDEX sources_txid ON nexus.sources (txid);
COMMENT ON TABLE nexus.sources IS 'Crawl and import sources as declared; read by the ETL for dim_source and reference entities.';
COMMENT ON COLUMN nexus.sources.records_path IS 'Where the records sit inside a parsed JSON body ({} = the body itself).';

-- Conditional requests: the validators each URL last answered with.
CREATE TABLE nexus.crawl_state (
  source         text NOT NULL,
  url            text NOT NULL,
  etag           text,
  last_modified  text,
  last_status    integer,
  last_sha256    text,
  last_fetched_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (source, url)
);

-- One row per crawl of a source (a run walks every page).
CREATE TABLE nexus.crawl_runs (
  run_id        bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  source        text NOT NULL,
  started_at    timestamptz NOT NULL,
  finished_at   timestamptz NOT NULL DEFAULT clock_timestamp(),
  status        text NOT NULL CHECK (status IN ('ok', 'failed')),
  pages         integer NOT NULL DEFAULT 0,
  stored        integer NOT NULL DEFAULT 0,   -- new bodies in staging.crawl_raw
  duplicates    integer NOT NULL DEFAULT 0,   -- bodies already stored
  unchanged     integer NOT NULL DEFAULT 0,   -- 304 Not Modified
  bytes         bigint NOT NULL DEFAULT 0,
  error_code    text,
  error         text,
  worker        text
);
CREATE INDEX crawl_runs_source_time ON nexus.crawl_runs (source, run_id DESC);

-- One row per import of a file. A file (by sha256) that was imported is
-- refused again unless forced; the check and the commit run under an
-- advisory lock on the hash, so two concurrent imports cannot both pass.
CREATE TABLE nexus.imports (
  import_id      uuid PRIMARY KEY,
  source         text NOT NULL,
  file_name      text NOT NULL,
  file_sha256    text NOT NULL CHECK (file_sha256 ~ '^[0-9a-f]{64}$'),
  file_bytes     bigint NOT NULL,
  format         text NOT NULL CHECK (format IN ('csv', 'tsv', 'json', 'ndjson', 'xlsx')),
  status         text NOT NULL CHECK (status IN ('running', 'done', 'failed')),
  forced         boolean NOT NULL DEFAULT false,
  rows_loaded    bigint NOT NULL DEFAULT 0,
  rows_rejected  bigint NOT NULL DEFAULT 0,
  started_at     timestamptz NOT NULL DEFAULT now(),
  finished_at    timestamptz,
  error          text,
  via            text NOT NULL DEFAULT 'cli' CHECK (via IN ('cli', 'http'))
);
CREATE INDEX imports_sha256 ON nexus.imports (file_sha256) WHERE status = 'done';

-- Bad rows of an import: kept out of staging, reported with their line.
CREATE TABLE nexus.import_rejects (
  import_id    uuid NOT NULL REFERENCES nexus.imports (import_id),
  line_number  bigint NOT NULL,
  reason_code  text NOT NULL,
  reason       text NOT NULL,
  excerpt      text,
  PRIMARY KEY (import_id, line_number)
);

GRANT SELECT, INSERT, UPDATE ON nexus.sources TO nexus_crawl, nexus_import;
GRANT SELECT ON nexus.sources TO nexus_etl, nexus_health;
GRANT SELECT, INSERT, UPDATE ON nexus.crawl_state TO nexus_crawl;
GRANT SELECT, INSERT ON nexus.crawl_runs TO nexus_crawl;
GRANT SELECT, INSERT, UPDATE ON nexus.imports TO nexus_import;
GRANT SELECT, INSERT ON nexus.import_rejects TO nexus_import;
GRANT SELECT ON nexus.crawl_runs, nexus.imports, nexus.import_rejects TO nexus_health;
GRANT SELECT ON nexus.imports TO nexus_etl;

-- A crawled body holds many records: quarantine tells them apart by their
-- position, like fact_events does (existing models leave it at 0).
ALTER TABLE warehouse.quarantine ADD COLUMN record_index integer NOT NULL DEFAULT 0;
ALTER TABLE warehouse.quarantine DROP CONSTRAINT quarantine_origin,
  ADD CONSTRAINT quarantine_origin UNIQUE (model, staging_table, staging_ingest_id, record_index, reason_code);

-- Times as external sources write them: RFC 3339, a bare date, or the
-- RFC 822 dates of RSS and HTTP ("Tue, 10 Jun 2003 04:00:00 GMT").
-- NULL for anything else, so a model can quarantine the record.
CREATE FUNCTION warehouse.try_timestamptz_any(v text) RETURNS timestamptz
LANGUAGE plpgsql STABLE PARALLEL SAFE AS $$
DECLARE t text := btrim(v);
BEGIN
  IF t IS NULL OR t = '' THEN RETURN NULL; END IF;
  IF t ~ '^\d{4}-\d{2}-\d{2}$' THEN RETURN warehouse.try_date(t)::timestamptz; END IF;
  IF t ~ '^\d{4}-\d{2}-\d{2}[Tt ]' THEN RETURN warehouse.try_timestamptz(t); END IF;
  IF t ~ '^([A-Za-z]{3},\s*)?\d{1,2}\s+[A-Za-z]{3}\s+\d{2,4}\s+\d{1,2}:\d{2}(:\d{2})?\s*([A-Za-z]{1,5}|[+-]\d{4})$' THEN
    RETURN regexp_replace(t, '^[A-Za-z]{3},\s*', '')::timestamptz;
  END IF;
  RETURN NULL;
EXCEPTION WHEN others THEN RETURN NULL;
END $$;
GRANT EXECUTE ON FUNCTION warehouse.try_timestamptz_any(text) TO nexus_etl;
