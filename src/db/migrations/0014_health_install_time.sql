-- nexus-health judges a missing backup by how long the platform has been
-- installed: on a fresh install no dump exists until the first one is due,
-- and that is a warning, not a failure (src/health/checks/backups.ts). The
-- install time is when the first migration was applied.
GRANT SELECT ON nexus.schema_migrations TO nexus_health;
