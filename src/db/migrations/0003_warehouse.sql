-- Warehouse: a star schema. Dimensions other than the calendar are SCD
-- type 2: a surrogate key, the natural key, a validity interval, is_current
-- and a hash of the tracked content (a new row only when the hash changes).
-- Facts keep every version with the staging row it came from; the full
-- payload stays as jsonb next to the conformed columns reports need.

CREATE TABLE warehouse.dim_calendar (
  date_key        integer PRIMARY KEY,            -- yyyymmdd
  calendar_date   date NOT NULL UNIQUE,
  year            smallint NOT NULL,
  quarter         smallint NOT NULL,
  month           smallint NOT NULL,
  month_name      text NOT NULL,
  day_of_month    smallint NOT NULL,
  iso_year        smallint NOT NULL,
  iso_week        smallint NOT NULL,
  iso_day_of_week smallint NOT NULL,              -- 1 = Monday
  day_name        text NOT NULL,
  week_start      date NOT NULL,
  month_start     date NOT NULL,
  is_weekend      boolean NOT NULL
);

CREATE TABLE warehouse.dim_source (
  source_key   bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  source_name  text NOT NULL,                     -- natural key: 'field', a crawl source, an import source
  source_kind  text NOT NULL CHECK (source_kind IN ('field', 'crawl', 'import')),
  description  text,
  config       jsonb NOT NULL DEFAULT '{}'::jsonb,
  valid_from   timestamptz NOT NULL,
  valid_to     timestamptz,                       -- NULL while current
  is_current   boolean NOT NULL,
  change_hash  text NOT NULL,
  CONSTRAINT dim_source_interval CHECK (valid_to IS NULL OR valid_to > valid_from),
  CONSTRAINT dim_source_current CHECK (is_current = (valid_to IS NULL)),
  CONSTRAINT dim_source_version UNIQUE (source_name, valid_from)
);
CREATE UNIQUE INDEX dim_source_one_current ON warehouse.dim_source (source_name) WHERE is_current;

CREATE TABLE warehouse.dim_device (
  device_key      bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  device_id       uuid NOT NULL,                  -- natural key
  device_name     text,
  groups          text[] NOT NULL DEFAULT '{}',
  wg_ip           inet,
  app_version     text,
  first_seen_at   timestamptz,
  valid_from      timestamptz NOT NULL,
  valid_to        timestamptz,
  is_current      boolean NOT NULL,
  change_hash     text NOT NULL,
  CONSTRAINT dim_device_interval CHECK (valid_to IS NULL OR valid_to > valid_from),
  CONSTRAINT dim_device_current CHECK (is_current = (valid_to IS NULL)),
  CONSTRAINT dim_device_version UNIQUE (device_id, valid_from)
);
CREATE UNIQUE INDEX dim_device_one_current ON warehouse.dim_device (device_id) WHERE is_current;

-- Patients and entities of other sources. A patient's natural key is its
-- patient_id; other sources use their own key in natural_key.
CREATE TABLE warehouse.dim_entity (
  entity_key        bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  source_key        bigint NOT NULL REFERENCES warehouse.dim_source (source_key),
  entity_type       text NOT NULL,                -- 'patient', or a source's own type
  natural_key       text NOT NULL,
  patient_id        uuid,
  external_ref      text,
  first_name        text,
  last_name         text,
  birth_date        date,
  sex               text,
  care_level        smallint,
  site              text,
  tags              text[],
  version           bigint,                       -- server version (staging ingest_id) of this content
  origin_device_id  uuid,
  staging_ingest_id bigint,
  payload           jsonb NOT NULL,
  valid_from        timestamptz NOT NULL,
  valid_to          timestamptz,
  is_current        boolean NOT NULL,
  change_hash       text NOT NULL,
  CONSTRAINT dim_entity_interval CHECK (valid_to IS NULL OR valid_to > valid_from),
  CONSTRAINT dim_entity_current CHECK (is_current = (valid_to IS NULL)),
  CONSTRAINT dim_entity_version UNIQUE (entity_type, natural_key, valid_from)
);
CREATE UNIQUE INDEX dim_entity_one_current ON warehouse.dim_entity (entity_type, natural_key) WHERE is_current;
CREATE INDEX dim_entity_patient ON warehouse.dim_entity (patient_id) WHERE patient_id IS NOT NULL;
CREATE INDEX dim_entity_site ON warehouse.dim_entity (site) WHERE is_current;

-- Sessions (transactional data): one row per accepted version.
CREATE TABLE warehouse.fact_transactions (
  transaction_key     bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  session_id          uuid NOT NULL,
  version             bigint NOT NULL,             -- staging.sync_inbound.ingest_id
  is_current          boolean NOT NULL,            -- latest version of this session
  patient_id          uuid NOT NULL,
  entity_key          bigint REFERENCES warehouse.dim_entity (entity_key),  -- NULL until the patient arrives
  device_key          bigint NOT NULL REFERENCES warehouse.dim_device (device_key),
  source_key          bigint NOT NULL REFERENCES warehouse.dim_source (source_key),
  date_key            integer REFERENCES warehouse.dim_calendar (date_key),
  session_type        text,
  session_status      text,
  started_at          timestamptz,
  ended_at            timestamptz,
  duration_minutes    numeric(10, 2),
  clinician           text,
  form_id             text,
  form_version        integer,
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
  payload             jsonb NOT NULL,
  CONSTRAINT fact_transactions_version UNIQUE (version)
);
CREATE UNIQUE INDEX fact_transactions_one_current ON warehouse.fact_transactions (session_id) WHERE is_current;
CREATE INDEX fact_transactions_session ON warehouse.fact_transactions (session_id);
CREATE INDEX fact_transactions_patient ON warehouse.fact_transactions (patient_id);
CREATE INDEX fact_transactions_date ON warehouse.fact_transactions (date_key);
CREATE INDEX fact_transactions_device ON warehouse.fact_transactions (device_key);

-- Documents, images, crawled observations, imported records.
CREATE TABLE warehouse.fact_events (
  event_key          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  event_type         text NOT NULL,               -- 'document', 'image', 'crawl', 'import'
  staging_table      text NOT NULL CHECK (staging_table IN ('sync_inbound', 'crawl_raw', 'import_raw')),
  staging_ingest_id  bigint NOT NULL,
  record_index       integer NOT NULL DEFAULT 0,   -- position of the record inside one staging row
  entity_id          uuid,                         -- attachment id for documents and images
  patient_id         uuid,
  entity_key         bigint REFERENCES warehouse.dim_entity (entity_key),
  device_key         bigint REFERENCES warehouse.dim_device (device_key),
  source_key         bigint NOT NULL REFERENCES warehouse.dim_source (source_key),
  date_key           integer REFERENCES warehouse.dim_calendar (date_key),
  occurred_at        timestamptz,
  version            bigint,
  file_sha256        text CHECK (file_sha256 IS NULL OR file_sha256 ~ '^[0-9a-f]{64}$'),
  size_bytes         bigint,
  content_type       text,
  file_name          text,
  received_at        timestamptz NOT NULL,
  payload            jsonb NOT NULL,
  CONSTRAINT fact_events_origin UNIQUE (staging_table, staging_ingest_id, record_index)
);
CREATE INDEX fact_events_type_date ON warehouse.fact_events (event_type, date_key);
CREATE INDEX fact_events_patient ON warehouse.fact_events (patient_id) WHERE patient_id IS NOT NULL;
CREATE INDEX fact_events_entity ON warehouse.fact_events (entity_id) WHERE entity_id IS NOT NULL;

-- One row per push and pull request.
CREATE TABLE warehouse.fact_sync_log (
  sync_log_key     bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  request_id       uuid NOT NULL UNIQUE,
  direction        text NOT NULL CHECK (direction IN ('push', 'pull')),
  device_id        uuid NOT NULL,
  device_key       bigint REFERENCES warehouse.dim_device (device_key),
  date_key         integer REFERENCES warehouse.dim_calendar (date_key),
  requested_at     timestamptz NOT NULL,
  http_status      integer NOT NULL,
  op_count         integer NOT NULL DEFAULT 0,
  applied_count    integer NOT NULL DEFAULT 0,
  duplicate_count  integer NOT NULL DEFAULT 0,
  rejected_count   integer NOT NULL DEFAULT 0,
  change_count     integer NOT NULL DEFAULT 0,
  request_bytes    bigint,
  duration_ms      integer,
  last_seq         bigint
);
CREATE INDEX fact_sync_log_device_time ON warehouse.fact_sync_log (device_id, requested_at);
CREATE INDEX fact_sync_log_date ON warehouse.fact_sync_log (date_key);
