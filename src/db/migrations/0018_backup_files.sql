-- File store backups (issue 9, src/backup/files.ts): runs of kind 'files'
-- (copy new files into <target>/files), 'files_verify' and 'files_restore'.
-- The kinds are added to whatever the constraint allows when this runs, not
-- written out as a full list, so kinds another migration added stay allowed.

DO $$
DECLARE
  kinds text[];
BEGIN
  SELECT array_agg(DISTINCT m[1] ORDER BY m[1]) INTO kinds
    FROM pg_constraint c, regexp_matches(pg_get_constraintdef(c.oid), '''([a-z_]+)''', 'g') AS m
   WHERE c.conrelid = 'nexus.backup_run'::regclass AND c.conname = 'backup_run_kind_check';
  kinds := ARRAY(SELECT DISTINCT k FROM unnest(coalesce(kinds, '{}') || ARRAY['files', 'files_verify', 'files_restore']) AS k ORDER BY k);
  ALTER TABLE nexus.backup_run DROP CONSTRAINT IF EXISTS backup_run_kind_check;
  EXECUTE format('ALTER TABLE nexus.backup_run ADD CONSTRAINT backup_run_kind_check CHECK (kind = ANY (%L::text[]))', kinds);
END
$$;
