-- Content-addressed files (SYNC_PROTOCOL §3). The bytes live on disk in the
-- file store under their sha256; this table holds what the database needs to
-- know about them. A row is inserted only after the bytes are durably in
-- place, so a row always means "the server has this file". Rows are never
-- changed: the same sha256 is the same bytes forever.

CREATE TABLE nexus.files (
  sha256        text PRIMARY KEY CHECK (sha256 ~ '^[0-9a-f]{64}$'),
  size_bytes    bigint NOT NULL CHECK (size_bytes >= 0),
  content_type  text NOT NULL,
  stored_at     timestamptz NOT NULL DEFAULT now(),
  -- How the bytes arrived: 'put' (one request) or 'tus' (resumable upload).
  via           text NOT NULL CHECK (via IN ('put', 'tus')),
  device_id     uuid
);
CREATE INDEX files_stored_at ON nexus.files (stored_at);
COMMENT ON TABLE nexus.files IS 'Files in the content-addressed store (SYNC_PROTOCOL §3); the bytes are at <files dir>/<aa>/<bb>/<sha256>.';
COMMENT ON COLUMN nexus.files.device_id IS 'The device whose upload first stored the file (later uploads of the same bytes do not change it).';

GRANT SELECT, INSERT ON nexus.files TO nexus_sync;
GRANT SELECT ON nexus.files TO nexus_etl;

-- GET /v1/files/{sha256} asks whether the file's patient has an applied op
-- from a device of the requester's groups: a look-up by patient.
CREATE INDEX sync_inbound_patient ON staging.sync_inbound (patient_id) WHERE status = 'applied';
