-- Least privilege (DESIGN.md §3). Grants on the tables that exist now, and
-- default privileges so that tables nexus_owner creates later in a schema get
-- the same. Writing into a staging table is granted table by table: a new
-- staging table is writable by nobody until a migration says so.
-- nexus_backup reads everything through pg_read_all_data and nexus_health
-- monitors through pg_monitor (both granted by bootstrap, cluster-wide).

-- Schemas: USAGE only; CREATE stays with the owner.
GRANT USAGE ON SCHEMA staging        TO nexus_sync, nexus_etl, nexus_crawl, nexus_import;
GRANT USAGE ON SCHEMA warehouse      TO nexus_etl;
GRANT USAGE ON SCHEMA mart_ops       TO nexus_etl, clarity_reader, nexus_health;
GRANT USAGE ON SCHEMA mart_analytics TO nexus_etl, clarity_reader;
GRANT USAGE ON SCHEMA mart_field     TO nexus_etl, clarity_reader, nexus_sync;
GRANT USAGE ON SCHEMA nexus          TO nexus_sync, nexus_etl, nexus_crawl, nexus_import, nexus_health;

-- staging: each door appends to its own table and may read it back
-- (idempotency checks); ETL reads all of staging.
GRANT SELECT, INSERT ON staging.sync_inbound TO nexus_sync;
GRANT SELECT, INSERT ON staging.crawl_raw    TO nexus_crawl;
GRANT SELECT, INSERT ON staging.import_raw   TO nexus_import;
GRANT SELECT ON ALL TABLES IN SCHEMA staging TO nexus_etl;
ALTER DEFAULT PRIVILEGES FOR ROLE nexus_owner IN SCHEMA staging GRANT SELECT ON TABLES TO nexus_etl;

-- warehouse and marts: ETL writes; readers read the marts.
GRANT SELECT, INSERT, UPDATE, DELETE, TRUNCATE ON ALL TABLES IN SCHEMA warehouse, mart_ops, mart_analytics, mart_field TO nexus_etl;
GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA warehouse, mart_ops, mart_analytics, mart_field TO nexus_etl;
ALTER DEFAULT PRIVILEGES FOR ROLE nexus_owner IN SCHEMA warehouse, mart_ops, mart_analytics, mart_field
  GRANT SELECT, INSERT, UPDATE, DELETE, TRUNCATE ON TABLES TO nexus_etl;
ALTER DEFAULT PRIVILEGES FOR ROLE nexus_owner IN SCHEMA warehouse, mart_ops, mart_analytics, mart_field
  GRANT USAGE, SELECT, UPDATE ON SEQUENCES TO nexus_etl;

GRANT SELECT ON ALL TABLES IN SCHEMA mart_ops, mart_analytics, mart_field TO clarity_reader;
ALTER DEFAULT PRIVILEGES FOR ROLE nexus_owner IN SCHEMA mart_ops, mart_analytics, mart_field GRANT SELECT ON TABLES TO clarity_reader;
GRANT SELECT ON ALL TABLES IN SCHEMA mart_field TO nexus_sync;
ALTER DEFAULT PRIVILEGES FOR ROLE nexus_owner IN SCHEMA mart_field GRANT SELECT ON TABLES TO nexus_sync;
GRANT SELECT ON ALL TABLES IN SCHEMA mart_ops TO nexus_health;
ALTER DEFAULT PRIVILEGES FOR ROLE nexus_owner IN SCHEMA mart_ops GRANT SELECT ON TABLES TO nexus_health;

-- nexus (platform state): tables are granted one by one by the migrations
-- that create them; the migration history is readable by the services.
GRANT SELECT ON nexus.schema_migrations TO nexus_sync, nexus_etl, nexus_crawl, nexus_import, nexus_health;
