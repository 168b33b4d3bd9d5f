-- The layers of DESIGN.md §3, one schema each, plus `nexus` for the
-- platform's own state. Everything is owned by nexus_owner (the runner sets
-- that role); no other role may create or alter anything.

CREATE SCHEMA IF NOT EXISTS nexus;
CREATE SCHEMA staging;
CREATE SCHEMA warehouse;
CREATE SCHEMA mart_ops;
CREATE SCHEMA mart_analytics;
CREATE SCHEMA mart_field;

COMMENT ON SCHEMA staging IS 'Raw ingest: append-only, timestamped, source-tagged. Written by sync, crawl, import.';
COMMENT ON SCHEMA warehouse IS 'Star schema with SCD type 2 dimensions. Written by ETL only.';
COMMENT ON SCHEMA mart_ops IS 'Operational reporting. Written by ETL; read by Clarity.';
COMMENT ON SCHEMA mart_analytics IS 'Analytical reporting. Written by ETL; read by Clarity.';
COMMENT ON SCHEMA mart_field IS 'What devices pull. Written by ETL; read by the sync API.';
COMMENT ON SCHEMA nexus IS 'Platform state: devices seen, jobs, watermarks, parameters, audit.';

-- Functions are not executable by everyone unless granted.
ALTER DEFAULT PRIVILEGES FOR ROLE nexus_owner REVOKE EXECUTE ON FUNCTIONS FROM PUBLIC;
