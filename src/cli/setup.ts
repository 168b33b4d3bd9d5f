// Everything that makes a database ready for the platform, run as the
// administrative login: roles and database, migrations, the job queue's
// schema, and the ETL's view models. Idempotent; used by `nexus up`,
// `nexus migrate`, `nexus db start` and the test harness.

import type { DbAccess } from '../db/connection.ts';
import type { Logger } from '../core/log.ts';
import { bootstrap } from '../db/bootstrap.ts';
import { migrate, type MigrationResult } from '../db/migrate.ts';
import { grantQueueTo, migrateQueue } from '../etl/queue.ts';
import { applyViews } from '../etl/runner.ts';

export async function setupDatabase(db: DbAccess, log: Logger): Promise<MigrationResult> {
  await bootstrap(db);
  const result = await migrate(db);
  if (result.applied.length) log.info({ applied: result.applied.map((m) => m.file) }, 'migrations applied');
  await migrateQueue(db, log);
  await grantQueueTo(db, 'nexus_crawl');
  await applyViews(db);
  return result;
}
