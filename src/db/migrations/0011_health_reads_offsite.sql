-- nexus-health reads when devices were last seen and when they last pushed
-- (devices not seen for N days; data waiting for the ETL).
GRANT SELECT ON nexus.sync_device TO nexus_health;

-- Backup runs also record offsite copies, server-configuration snapshots and
-- Clarity's state.
ALTER TABLE nexus.backup_run DROP CONSTRAINT backup_run_kind_check;
ALTER TABLE nexus.backup_run ADD CONSTRAINT backup_run_kind_check
  CHECK (kind IN ('dump', 'base', 'restore_test', 'drill', 'retention', 'verify', 'offsite', 'config', 'clarity'));
