-- nexus-sync's bookkeeping (SYNC_PROTOCOL §2, §5): per-device checkpoint,
-- parameters with their version, one log row per push/pull request, and what
-- staging.sync_inbound needs for visibility and file look-ups.

-- One row per device that ever reached the sync API. last_seq is the device's
-- highest accepted seq, written in the same transaction as its ops; the row
-- is locked for the whole push transaction, which serialises a device's
-- concurrent pushes (other devices never wait on it).
CREATE TABLE nexus.sync_device (
  device_id      uuid PRIMARY KEY,
  last_seq       bigint NOT NULL DEFAULT 0 CHECK (last_seq >= 0),
  groups         text[] NOT NULL DEFAULT '{}',
  wg_ip          text,
  first_seen_at  timestamptz NOT NULL DEFAULT now(),
  last_seen_at   timestamptz NOT NULL DEFAULT now(),
  last_push_at   timestamptz,
  last_pull_at   timestamptz
);
COMMENT ON TABLE nexus.sync_device IS 'Devices seen by nexus-sync; last_seq = highest accepted seq (SYNC_PROTOCOL §2).';
COMMENT ON COLUMN nexus.sync_device.groups IS 'Groups from the device''s latest token (Guardian is the source of truth).';

-- Parameters (server wins, §5). Written by administrators (CLI, admin API) as
-- nexus_owner; read by the sync API. The version rises once per transaction
-- that changes at least one row, so an import of many keys is one version.
CREATE TABLE nexus.parameters (
  key         text PRIMARY KEY CHECK (length(key) BETWEEN 1 AND 200),
  value       jsonb NOT NULL,
  updated_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE nexus.parameters_version (
  only_row    boolean PRIMARY KEY DEFAULT true CHECK (only_row),
  version     bigint NOT NULL DEFAULT 0,
  updated_at  timestamptz NOT NULL DEFAULT now(),
  -- Transaction that made the last bump: a second change in it does not bump again.
  bumped_by   xid8
);
INSERT INTO nexus.parameters_version DEFAULT VALUES;

CREATE FUNCTION nexus.bump_parameters_version() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  UPDATE nexus.parameters_version
     SET version = version + 1, updated_at = now(), bumped_by = pg_current_xact_id()
   WHERE bumped_by IS DISTINCT FROM pg_current_xact_id();
  RETURN NULL;
END $$;

CREATE TRIGGER parameters_bump_version AFTER INSERT OR UPDATE OR DELETE ON nexus.parameters
  FOR EACH ROW EXECUTE FUNCTION nexus.bump_parameters_version();
CREATE TRIGGER parameters_bump_version_truncate AFTER TRUNCATE ON nexus.parameters
  FOR EACH STATEMENT EXECUTE FUNCTION nexus.bump_parameters_version();

-- One row per push or pull request of an authenticated device; ETL turns it
-- into warehouse.fact_sync_log. log_id orders rows for ETL's watermark.
CREATE TABLE nexus.sync_requests (
  log_id           bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
  request_id       uuid PRIMARY KEY,
  direction        text NOT NULL CHECK (direction IN ('push', 'pull')),
  device_id        uuid NOT NULL,
  requested_at     timestamptz NOT NULL,
  logged_at        timestamptz NOT NULL DEFAULT now(),
  http_status      integer NOT NULL,
  error_code       text,
  op_count         integer NOT NULL DEFAULT 0,
  applied_count    integer NOT NULL DEFAULT 0,
  duplicate_count  integer NOT NULL DEFAULT 0,
  rejected_count   integer NOT NULL DEFAULT 0,
  change_count     integer NOT NULL DEFAULT 0,
  request_bytes    bigint,
  duration_ms      integer,
  last_seq         bigint
);
CREATE INDEX sync_requests_logged_at ON nexus.sync_requests (logged_at);
CREATE INDEX sync_requests_device_time ON nexus.sync_requests (device_id, requested_at);

-- The pushing device's groups at push time: a device sees the patients of its groups.
ALTER TABLE staging.sync_inbound ADD COLUMN device_groups text[];
-- Which records refer to a file (GET /v1/files/{sha256} visibility, ETL joins).
-- Queries must repeat the predicate to use it.
CREATE INDEX sync_inbound_file_sha256 ON staging.sync_inbound ((raw -> 'payload' ->> 'sha256'))
  WHERE entity IN ('document', 'image');

GRANT SELECT, INSERT, UPDATE ON nexus.sync_device TO nexus_sync;
GRANT SELECT ON nexus.parameters, nexus.parameters_version TO nexus_sync;
GRANT INSERT ON nexus.sync_requests TO nexus_sync;
GRANT SELECT ON nexus.sync_device, nexus.parameters, nexus.parameters_version, nexus.sync_requests TO nexus_etl;
