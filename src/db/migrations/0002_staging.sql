-- Staging: the three doors in (devices, crawlers, imports). Rows are kept as
-- received and never updated; deleting is for retention only and must be
-- switched on per transaction (SET LOCAL nexus.staging_retention = 'on').

CREATE FUNCTION staging.forbid_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' AND current_setting('nexus.staging_retention', true) = 'on' THEN
    RETURN OLD;
  END IF;
  RAISE EXCEPTION 'staging.% is append-only: % is not allowed', TG_TABLE_NAME, TG_OP
    USING ERRCODE = 'insufficient_privilege', HINT = 'Staging rows are never changed; corrections arrive as new rows.';
END $$;

-- One row per pushed op (SYNC_PROTOCOL §2), applied or rejected. ingest_id is
-- the server-assigned `version` of an applied op.
CREATE TABLE staging.sync_inbound (
  ingest_id       bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  received_at     timestamptz NOT NULL DEFAULT now(),
  source          text NOT NULL DEFAULT 'field',
  request_id      uuid NOT NULL,
  device_id       uuid NOT NULL,
  seq             bigint NOT NULL CHECK (seq >= 1),
  op_id           text,
  payload_sha256  text,
  status          text NOT NULL CHECK (status IN ('applied', 'rejected')),
  error_code      text,
  error_message   text,
  entity          text,
  patient_id      uuid,
  entity_id       uuid,
  schema_version  integer,
  base_version    bigint,
  recorded_at     timestamptz,
  raw             jsonb NOT NULL,
  CONSTRAINT sync_inbound_device_seq UNIQUE (device_id, seq),
  CONSTRAINT sync_inbound_rejected_has_reason CHECK ((status = 'rejected') = (error_code IS NOT NULL))
);
CREATE INDEX sync_inbound_received_at ON staging.sync_inbound (received_at);
CREATE INDEX sync_inbound_entity ON staging.sync_inbound (entity_id) WHERE status = 'applied';
COMMENT ON TABLE staging.sync_inbound IS 'Pushed ops as received (SYNC_PROTOCOL §2); ingest_id is the op''s server version.';
COMMENT ON COLUMN staging.sync_inbound.raw IS 'The op exactly as the device sent it, payload included.';
COMMENT ON COLUMN staging.sync_inbound.recorded_at IS 'Device clock: informational only, never used for ordering.';

-- One row per distinct fetched body of an external source.
CREATE TABLE staging.crawl_raw (
  ingest_id     bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  received_at   timestamptz NOT NULL DEFAULT now(),
  source        text NOT NULL,
  url           text NOT NULL,
  http_status   integer NOT NULL,
  headers       jsonb NOT NULL DEFAULT '{}'::jsonb,
  fetched_at    timestamptz NOT NULL,
  body_sha256   text NOT NULL CHECK (body_sha256 ~ '^[0-9a-f]{64}$'),
  content_type  text,
  body          bytea NOT NULL,
  raw           jsonb,
  CONSTRAINT crawl_raw_source_body UNIQUE (source, body_sha256)
);
CREATE INDEX crawl_raw_received_at ON staging.crawl_raw (received_at);
COMMENT ON COLUMN staging.crawl_raw.raw IS 'The body parsed to JSON where the source kind allows, else NULL.';

-- One row per imported record (a CSV line, an NDJSON line, a sheet row).
CREATE TABLE staging.import_raw (
  ingest_id     bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  received_at   timestamptz NOT NULL DEFAULT now(),
  source        text NOT NULL,
  import_id     uuid NOT NULL,
  file_sha256   text NOT NULL CHECK (file_sha256 ~ '^[0-9a-f]{64}$'),
  line_number   bigint NOT NULL,
  raw           jsonb NOT NULL,
  CONSTRAINT import_raw_import_line UNIQUE (import_id, line_number)
);
CREATE INDEX import_raw_received_at ON staging.import_raw (received_at);

CREATE TRIGGER sync_inbound_append_only BEFORE UPDATE OR DELETE ON staging.sync_inbound
  FOR EACH ROW EXECUTE FUNCTION staging.forbid_change();
CREATE TRIGGER crawl_raw_append_only BEFORE UPDATE OR DELETE ON staging.crawl_raw
  FOR EACH ROW EXECUTE FUNCTION staging.forbid_change();
CREATE TRIGGER import_raw_append_only BEFORE UPDATE OR DELETE ON staging.import_raw
  FOR EACH ROW EXECUTE FUNCTION staging.forbid_change();
CREATE TRIGGER sync_inbound_no_truncate BEFORE TRUNCATE ON staging.sync_inbound
  FOR EACH STATEMENT EXECUTE FUNCTION staging.forbid_change();
CREATE TRIGGER crawl_raw_no_truncate BEFORE TRUNCATE ON staging.crawl_raw
  FOR EACH STATEMENT EXECUTE FUNCTION staging.forbid_change();
CREATE TRIGGER import_raw_no_truncate BEFORE TRUNCATE ON staging.import_raw
  FOR EACH STATEMENT EXECUTE FUNCTION staging.forbid_change();
