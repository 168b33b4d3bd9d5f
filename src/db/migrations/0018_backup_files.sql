-- File store backups (issue 9, src/backup/files.ts): runs of kind 'files'
-- (copy new files into <target>/files), 'files_verify' and 'files_restore'.
ALTER TABLE nexus.backup_run DROP CONSTRAINT backup_run_kind_check;
ALTER TABLE nexus.backup_run ADD CONSTRAINT backup_run_kind_check
  CHECK (kind IN ('dump', 'base', 'restore_test', 'drill', 'retention', 'verify', 'offsite', 'config', 'clarity',
                  'files', 'files_verify', 'files_restore'));
