// The one job queue: graphile-worker, in its own schema owned by nexus_owner
// (installed at setup, like a migration). Workers run as nexus_etl; other
// components ask for work through nexus.request_etl(), never the queue itself.

import { Logger as WorkerLogger, runMigrations } from 'graphile-worker';
import type { DbAccess } from '../db/connection.ts';
import type { Logger } from '../core/log.ts';

export const QUEUE_SCHEMA = 'graphile_worker';

/** Keeps log metadata small: graphile-worker passes whole pg clients along. */
function plain(meta: Record<string, unknown> | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(meta ?? {})) {
    if (v instanceof Error) out[k] = { message: v.message, code: (v as { code?: string }).code };
    else if (v === null || ['string', 'number', 'boolean'].includes(typeof v)) out[k] = v;
  }
  return out;
}

/** graphile-worker's log lines through our logger. */
export function workerLogger(log: Logger): WorkerLogger {
  return new WorkerLogger((scope) => (level, message, meta) => {
    const fn = level === 'error' ? log.error : level === 'warning' ? log.warn : level === 'info' ? log.info : log.debug;
    fn.call(log, { ...plain(scope as Record<string, unknown>), ...plain(meta) }, message);
  });
}

export async function migrateQueue(db: DbAccess, log: Logger): Promise<void> {
  await runMigrations({ connectionString: db.url('nexus_owner'), schema: QUEUE_SCHEMA, logger: workerLogger(log) });
  await grantQueueTo(db, 'nexus_etl');
}

/** Asks for a debounced ETL run (the same call the sync API makes). */
export async function requestEtl(db: DbAccess): Promise<void> {
  await db.pool('nexus_etl').query('SELECT nexus.request_etl()');
}

/**
 * Lets a worker role onto the queue (nexus_etl, and nexus_crawl whose runners
 * fetch and complete their own jobs). graphile-worker turns on row-level
 * security for its private tables, which hides every row from roles other
 * than the owner, hence a policy per role. Run at setup, after the queue's
 * migrations; idempotent.
 */
export async function grantQueueTo(db: DbAccess, role: 'nexus_etl' | 'nexus_crawl'): Promise<void> {
  const c = await db.connect('nexus_owner');
  const policy = `${role}_workers`;
  try {
    await c.query(`GRANT USAGE ON SCHEMA ${QUEUE_SCHEMA} TO ${role}`);
    await c.query(`GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA ${QUEUE_SCHEMA} TO ${role}`);
    await c.query(`GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA ${QUEUE_SCHEMA} TO ${role}`);
    await c.query(`GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA ${QUEUE_SCHEMA} TO ${role}`);
    await c.query(`DO $$
      DECLARE t regclass;
      BEGIN
        FOR t IN SELECT c.oid::regclass FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                 WHERE n.nspname = '${QUEUE_SCHEMA}' AND c.relkind = 'r' AND c.relrowsecurity LOOP
          IF NOT EXISTS (SELECT 1 FROM pg_policy WHERE polrelid = t AND polname = '${policy}') THEN
            EXECUTE format('CREATE POLICY ${policy} ON %s TO ${role} USING (true) WITH CHECK (true)', t);
          END IF;
        END LOOP;
      END $$`);
  } finally {
    await c.end();
  }
}
