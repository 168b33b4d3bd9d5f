-- Pull cursors (SYNC_PROTOCOL §4) are opaque and tamper-evident: signed
-- with a key that lives in the database, so every sync instance shares it.
CREATE TABLE nexus.sync_keys (
  name        text PRIMARY KEY,
  secret      bytea NOT NULL CHECK (length(secret) >= 32),
  created_at  timestamptz NOT NULL DEFAULT now()
);
-- Two random UUIDs (122 random bits each) hashed: a 256-bit key without pgcrypto.
INSERT INTO nexus.sync_keys (name, secret)
VALUES ('pull_cursor', sha256(convert_to(gen_random_uuid()::text || gen_random_uuid()::text || clock_timestamp()::text, 'UTF8')));
GRANT SELECT ON nexus.sync_keys TO nexus_sync;

-- A pull needs, per device: its groups' changes in commit-safe order, and
-- whether a newer version of the same entity exists (first pull).
CREATE INDEX changes_groups ON mart_field.changes USING gin (groups);
GRANT SELECT ON mart_field.changes, mart_field.patients, mart_field.retention TO nexus_sync;
