-- mart_ops and mart_analytics (issue 7): what Clarity reports on. Tables are
-- filled by the models under src/etl/models/marts; every row carries the
-- transaction that last wrote it (loaded_txid), so Clarity copies only what
-- changed. Rows hold no build time: a rerun or a full refresh gives the same
-- content. Live status (ETL lag, backups, health checks) changes with the
-- clock, not with the data, so it is exposed as views over the platform's
-- bookkeeping: owned by nexus_owner, they let clarity_reader see those
-- summaries without any right on the nexus schema itself.
-- Default privileges of 0004 give nexus_etl write and clarity_reader read.

-- ── mart_ops ────────────────────────────────────────────────────────────
CREATE TABLE mart_ops.device_status (
  device_id        uuid PRIMARY KEY,
  device_name      text,
  groups           text[] NOT NULL DEFAULT '{}',
  app_version      text,
  first_seen_at    timestamptz,
  last_seen_at     timestamptz,
  last_push_at     timestamptz,
  last_pull_at     timestamptz,
  last_seq         bigint,
  push_count       bigint NOT NULL DEFAULT 0,
  pull_count       bigint NOT NULL DEFAULT 0,
  op_count         bigint NOT NULL DEFAULT 0,
  rejected_count   bigint NOT NULL DEFAULT 0,
  error_count      bigint NOT NULL DEFAULT 0,
  conflict_count   bigint NOT NULL DEFAULT 0,
  loaded_txid      xid8 NOT NULL DEFAULT pg_current_xact_id()
);

CREATE TABLE mart_ops.device_sync_daily (
  device_id        uuid NOT NULL,
  sync_date        date NOT NULL,
  push_count       integer NOT NULL,
  pull_count       integer NOT NULL,
  op_count         integer NOT NULL,
  applied_count    integer NOT NULL,
  duplicate_count  integer NOT NULL,
  rejected_count   integer NOT NULL,
  change_count     integer NOT NULL,
  error_count      integer NOT NULL,
  request_bytes    bigint NOT NULL,
  max_duration_ms  integer,
  last_seq         bigint,
  loaded_txid      xid8 NOT NULL DEFAULT pg_current_xact_id(),
  PRIMARY KEY (device_id, sync_date)
);

CREATE TABLE mart_ops.quarantine (
  quarantine_key     bigint PRIMARY KEY,
  model              text NOT NULL,
  staging_table      text NOT NULL,
  staging_ingest_id  bigint NOT NULL,
  reason_code        text NOT NULL,
  reason             text NOT NULL,
  received_at        timestamptz NOT NULL,
  raw                jsonb NOT NULL,
  loaded_txid        xid8 NOT NULL DEFAULT pg_current_xact_id()
);

CREATE TABLE mart_ops.conflicts (
  version               bigint PRIMARY KEY,
  entity                text NOT NULL,
  entity_id             uuid NOT NULL,
  patient_id            uuid NOT NULL,
  device_id             uuid NOT NULL,
  base_version          bigint,
  superseded_version    bigint NOT NULL,
  superseded_device_id  uuid NOT NULL,
  received_at           timestamptz NOT NULL,
  conflict_date         date NOT NULL,
  loaded_txid           xid8 NOT NULL DEFAULT pg_current_xact_id()
);

-- ETL lag per model and the backlog of its sources: rows written after the
-- model's watermark. txid columns are indexed, so this stays cheap.
CREATE VIEW mart_ops.etl_lag AS
WITH sources AS (
  SELECT 'staging.sync_inbound' AS source, min(s.received_at) AS oldest_at, count(*) AS backlog_rows
  FROM staging.sync_inbound s
  WHERE s.txid >= coalesce((SELECT min(w.through_txid) FROM nexus.etl_watermarks w WHERE w.model IN ('dim_entity', 'fct_transactions', 'fct_events')), '0')
  UNION ALL
  SELECT 'nexus.sync_requests', min(r.logged_at), count(*) FROM nexus.sync_requests r
  WHERE r.txid >= coalesce((SELECT w.through_txid FROM nexus.etl_watermarks w WHERE w.model = 'fct_sync_log'), '0')
), runs AS (
  SELECT DISTINCT ON (model) model, status, finished_at, rows_affected, error
  FROM nexus.etl_runs ORDER BY model, started_at DESC
), last_ok AS (
  SELECT model, max(finished_at) AS last_ok_at FROM nexus.etl_runs WHERE status = 'ok' GROUP BY model
)
SELECT w.model, w.updated_at AS watermark_updated_at, r.status AS last_status, r.finished_at AS last_run_at,
       o.last_ok_at, r.error AS last_error,
       extract(epoch FROM now() - o.last_ok_at)::bigint AS seconds_since_ok,
       (SELECT s.backlog_rows FROM sources s WHERE s.source = 'staging.sync_inbound') AS sync_inbound_backlog_rows,
       (SELECT s.oldest_at FROM sources s WHERE s.source = 'staging.sync_inbound') AS sync_inbound_oldest_waiting_at,
       (SELECT s.backlog_rows FROM sources s WHERE s.source = 'nexus.sync_requests') AS sync_requests_backlog_rows,
       now() AS measured_at
FROM nexus.etl_watermarks w
LEFT JOIN runs r USING (model)
LEFT JOIN last_ok o USING (model);

-- Ingest backlog per source kind (staging tables).
CREATE VIEW mart_ops.ingest_backlog AS
SELECT 'field' AS source_kind, 'staging.sync_inbound' AS staging_table, count(*) AS waiting_rows, min(received_at) AS oldest_waiting_at, now() AS measured_at
FROM staging.sync_inbound WHERE txid >= coalesce((SELECT min(through_txid) FROM nexus.etl_watermarks WHERE model IN ('dim_entity', 'fct_transactions', 'fct_events')), '0')
UNION ALL
SELECT 'crawl', 'staging.crawl_raw', count(*), min(received_at), now()
FROM staging.crawl_raw WHERE txid >= coalesce((SELECT min(through_txid) FROM nexus.etl_watermarks), '0')
UNION ALL
SELECT 'import', 'staging.import_raw', count(*), min(received_at), now()
FROM staging.import_raw WHERE txid >= coalesce((SELECT min(through_txid) FROM nexus.etl_watermarks), '0');

-- The latest run of each backup kind, and the latest successful one.
CREATE VIEW mart_ops.backup_status AS
SELECT k.kind,
       l.status AS last_status, l.started_at AS last_started_at, l.finished_at AS last_finished_at, l.error AS last_error,
       ok.finished_at AS last_ok_at, ok.size_bytes AS last_ok_size_bytes, ok.artefact AS last_ok_artefact,
       extract(epoch FROM now() - ok.finished_at)::bigint AS seconds_since_ok
FROM (SELECT DISTINCT kind FROM nexus.backup_run) k
LEFT JOIN LATERAL (SELECT * FROM nexus.backup_run b WHERE b.kind = k.kind ORDER BY b.started_at DESC LIMIT 1) l ON true
LEFT JOIN LATERAL (SELECT * FROM nexus.backup_run b WHERE b.kind = k.kind AND b.status = 'ok' ORDER BY b.finished_at DESC LIMIT 1) ok ON true;

CREATE VIEW mart_ops.health_status AS
SELECT check_name, status, message, since, checked_at FROM nexus.health_state;

-- ── mart_analytics ──────────────────────────────────────────────────────
-- Patients: current attributes and contact span. Names stay in the
-- warehouse: reports need counts and bands, not identities.
CREATE TABLE mart_analytics.patients (
  patient_id        uuid PRIMARY KEY,
  external_ref      text,
  sex               text,
  birth_year        smallint,
  care_level        smallint,
  site              text,
  tags              text[],
  groups            text[] NOT NULL DEFAULT '{}',
  version_count     integer NOT NULL DEFAULT 0,
  session_count     integer NOT NULL DEFAULT 0,
  document_count    integer NOT NULL DEFAULT 0,
  image_count       integer NOT NULL DEFAULT 0,
  first_seen_at     timestamptz,
  last_seen_at      timestamptz,
  first_session_at  timestamptz,
  last_session_at   timestamptz,
  loaded_txid       xid8 NOT NULL DEFAULT pg_current_xact_id()
);

CREATE TABLE mart_analytics.patient_history (
  entity_key   bigint PRIMARY KEY,
  patient_id   uuid NOT NULL,
  version      bigint,
  sex          text,
  birth_year   smallint,
  care_level   smallint,
  site         text,
  valid_from   timestamptz NOT NULL,
  valid_to     timestamptz,
  is_current   boolean NOT NULL,
  loaded_txid  xid8 NOT NULL DEFAULT pg_current_xact_id()
);

-- Sessions: the current version of each, with the conformed measures.
CREATE TABLE mart_analytics.sessions (
  session_id          uuid PRIMARY KEY,
  version             bigint NOT NULL,
  patient_id          uuid NOT NULL,
  device_id           uuid NOT NULL,
  groups              text[] NOT NULL DEFAULT '{}',
  source_name         text NOT NULL,
  session_date        date NOT NULL,
  started_at          timestamptz,
  ended_at            timestamptz,
  session_type        text,
  session_status      text,
  duration_minutes    numeric(10, 2),
  clinician           text,
  form_id             text,
  pulse_bpm           numeric,
  systolic_mmhg       numeric,
  diastolic_mmhg      numeric,
  temperature_c       numeric,
  spo2_pct            numeric,
  weight_kg           numeric,
  blood_glucose_mgdl  numeric,
  pain_score          numeric,
  document_count      integer NOT NULL DEFAULT 0,
  image_count         integer NOT NULL DEFAULT 0,
  app_version         text,
  received_at         timestamptz NOT NULL,
  loaded_txid         xid8 NOT NULL DEFAULT pg_current_xact_id()
);
CREATE INDEX sessions_date_device ON mart_analytics.sessions (session_date, device_id);

-- Sessions per day, device, group (a device in two groups counts in both),
-- source, type and status; weeks and months roll up from days.
CREATE TABLE mart_analytics.sessions_daily (
  session_date            date NOT NULL,
  device_id               uuid NOT NULL,
  group_name              text NOT NULL,
  source_name             text NOT NULL,
  session_type            text NOT NULL,
  session_status          text NOT NULL,
  week_start              date NOT NULL,
  month_start             date NOT NULL,
  session_count           integer NOT NULL,
  patient_count           integer NOT NULL,
  duration_minutes_sum    numeric NOT NULL,
  document_count          integer NOT NULL,
  image_count             integer NOT NULL,
  loaded_txid             xid8 NOT NULL DEFAULT pg_current_xact_id(),
  PRIMARY KEY (session_date, device_id, group_name, source_name, session_type, session_status)
);

-- Measures per day and device, with the share outside the parameter
-- `alerts.thresholds` ({"pulse_bpm": [low, high], …}) at build time.
CREATE TABLE mart_analytics.measures_daily (
  session_date     date NOT NULL,
  device_id        uuid NOT NULL,
  measure          text NOT NULL,
  reading_count    integer NOT NULL,
  value_sum        numeric NOT NULL,
  value_min        numeric,
  value_max        numeric,
  low_threshold    numeric,
  high_threshold   numeric,
  outside_count    integer NOT NULL,
  loaded_txid      xid8 NOT NULL DEFAULT pg_current_xact_id(),
  PRIMARY KEY (session_date, device_id, measure)
);

-- Documents, images, crawled and imported records per day; device_id is
-- the nil UUID for events that did not come from a device.
CREATE TABLE mart_analytics.events_daily (
  event_date      date NOT NULL,
  event_type      text NOT NULL,
  source_name     text NOT NULL,
  device_id       uuid NOT NULL,
  event_count     integer NOT NULL,
  version_count   integer NOT NULL,
  patient_count   integer NOT NULL,
  size_bytes_sum  bigint NOT NULL,
  loaded_txid     xid8 NOT NULL DEFAULT pg_current_xact_id(),
  PRIMARY KEY (event_date, event_type, source_name, device_id)
);

CREATE INDEX device_status_loaded ON mart_ops.device_status (loaded_txid);
CREATE INDEX device_sync_daily_loaded ON mart_ops.device_sync_daily (loaded_txid);
CREATE INDEX patients_loaded ON mart_analytics.patients (loaded_txid);
CREATE INDEX patient_history_loaded ON mart_analytics.patient_history (loaded_txid);
CREATE INDEX sessions_loaded ON mart_analytics.sessions (loaded_txid);

-- The marts models read these (the grants of 0005/0007/0010 cover the rest).
GRANT SELECT ON nexus.parameters TO nexus_etl;
