-- Bookkeeping of nexus-backup and nexus-health (issue 9): every backup run,
-- the marker rows point-in-time drills look for, alert events (an outbox the
-- health service delivers), and health check state with its history.
-- mart_ops reports from these later, so nexus_etl may read them all.

CREATE TABLE nexus.backup_run (
  run_id       bigserial PRIMARY KEY,
  kind         text NOT NULL CHECK (kind IN ('dump', 'base', 'restore_test', 'drill', 'retention', 'verify')),
  status       text NOT NULL DEFAULT 'running' CHECK (status IN ('running', 'ok', 'failed')),
  started_at   timestamptz NOT NULL DEFAULT now(),
  finished_at  timestamptz,
  -- The dump file or base backup folder the run made or used.
  artefact     text,
  size_bytes   bigint CHECK (size_bytes >= 0),
  sha256       text CHECK (sha256 ~ '^[0-9a-f]{64}$'),
  detail       jsonb NOT NULL DEFAULT '{}',
  error        text
);
CREATE INDEX backup_run_kind_finished ON nexus.backup_run (kind, status, finished_at DESC);
COMMENT ON TABLE nexus.backup_run IS 'One row per backup, verification, restore test, drill or retention run (nexus-backup).';

-- Point-in-time drills write a marker just before their target time and one
-- after it; the restored cluster must hold the first and not the second.
CREATE TABLE nexus.backup_marker (
  marker_id    bigserial PRIMARY KEY,
  label        text NOT NULL,
  written_at   timestamptz NOT NULL DEFAULT clock_timestamp()
);

-- Alert outbox: written by whoever notices a problem, delivered (webhook,
-- e-mail) by nexus-health, so a failing backup alerts even when it is the
-- backup process that cannot send.
CREATE TABLE nexus.alert_event (
  event_id        bigserial PRIMARY KEY,
  raised_at       timestamptz NOT NULL DEFAULT now(),
  source          text NOT NULL CHECK (source IN ('backup', 'health')),
  subject         text NOT NULL,
  severity        text NOT NULL CHECK (severity IN ('ok', 'warn', 'fail')),
  message         text NOT NULL,
  delivered_at    timestamptz,
  attempt_count   integer NOT NULL DEFAULT 0,
  last_error      text
);
CREATE INDEX alert_event_pending ON nexus.alert_event (event_id) WHERE delivered_at IS NULL;

-- Current state per check; alerted_* is what the last alert said, so an
-- alert goes out when the state differs from it (not on every run).
CREATE TABLE nexus.health_state (
  check_name      text PRIMARY KEY,
  status          text NOT NULL CHECK (status IN ('ok', 'warn', 'fail')),
  message         text NOT NULL,
  since           timestamptz NOT NULL DEFAULT now(),
  checked_at      timestamptz NOT NULL DEFAULT now(),
  alerted_status  text NOT NULL DEFAULT 'ok' CHECK (alerted_status IN ('ok', 'warn', 'fail')),
  alerted_at      timestamptz
);

CREATE TABLE nexus.health_result (
  result_id    bigserial PRIMARY KEY,
  checked_at   timestamptz NOT NULL DEFAULT now(),
  check_name   text NOT NULL,
  status       text NOT NULL CHECK (status IN ('ok', 'warn', 'fail')),
  message      text NOT NULL,
  -- The measured number behind the check (bytes free, seconds of lag, …), for trends.
  value        double precision
);
CREATE INDEX health_result_check_at ON nexus.health_result (check_name, checked_at DESC);

GRANT USAGE ON SCHEMA nexus TO nexus_backup;
GRANT SELECT, INSERT, UPDATE ON nexus.backup_run TO nexus_backup;
GRANT SELECT, INSERT ON nexus.backup_marker TO nexus_backup;
GRANT INSERT ON nexus.alert_event TO nexus_backup;
GRANT USAGE ON SEQUENCE nexus.backup_run_run_id_seq, nexus.backup_marker_marker_id_seq, nexus.alert_event_event_id_seq TO nexus_backup;

GRANT SELECT ON nexus.backup_run TO nexus_health;
GRANT SELECT, INSERT, UPDATE ON nexus.alert_event TO nexus_health;
GRANT SELECT, INSERT, UPDATE ON nexus.health_state TO nexus_health;
GRANT SELECT, INSERT, DELETE ON nexus.health_result TO nexus_health;
GRANT USAGE ON SEQUENCE nexus.alert_event_event_id_seq, nexus.health_result_result_id_seq TO nexus_health;

GRANT SELECT ON nexus.backup_run, nexus.backup_marker, nexus.alert_event, nexus.health_state, nexus.health_result TO nexus_etl;
