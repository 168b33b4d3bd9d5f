// Cluster-level setup that migrations cannot do: the login roles and their
// passwords (from $NEXUS_HOME/secrets), built-in monitoring roles, and the
// database itself. Runs as the administrative login, is idempotent, and runs
// before every migration pass.

import type pg from 'pg';
import { quoteIdent } from './ident.ts';
import { ROLE_NAMES } from './roles.ts';
import type { DbAccess } from './connection.ts';
import { NexusError } from '../core/errors.ts';

/** `format()` on the server does the quoting: values are still bound, never spliced. */
async function execFormatted(c: pg.Client, template: string, ...args: string[]): Promise<void> {
  const placeholders = args.map((_, i) => `$${i + 1}::text`).join(', ');
  const { rows } = await c.query<{ sql: string }>(`SELECT format($${args.length + 1}::text, ${placeholders}) AS sql`, [...args, template]);
  await c.query(rows[0]!.sql);
}

export async function ensureRoles(c: pg.Client, db: DbAccess): Promise<void> {
  for (const role of ROLE_NAMES) {
    const exists = await c.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [role]);
    const verb = exists.rowCount ? 'ALTER' : 'CREATE';
    await execFormatted(c, `${verb} ROLE %I WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION PASSWORD %L`, role, db.secrets.roles[role]);
  }
  // The administrative login must be able to SET ROLE nexus_owner to run migrations.
  const { rows } = await c.query<{ rolsuper: boolean }>('SELECT rolsuper FROM pg_roles WHERE rolname = current_user');
  if (!rows[0]?.rolsuper) await c.query('GRANT nexus_owner TO current_user');
  await c.query('GRANT pg_read_all_data TO nexus_backup');
  // pg_dump refuses tables with row-level security (graphile-worker's) unless
  // the role bypasses it; only a superuser (or, from PostgreSQL 16, a role that
  // has it) may grant that. Otherwise backups say what to run (src/backup/dump.ts).
  const { rows: can } = await c.query<{ ok: boolean }>(
    "SELECT rolsuper OR (rolbypassrls AND current_setting('server_version_num')::int >= 160000) AS ok FROM pg_roles WHERE rolname = current_user",
  );
  if (can[0]?.ok) await c.query('ALTER ROLE nexus_backup BYPASSRLS');
  await c.query('GRANT pg_monitor TO nexus_health');
  await c.query('ALTER ROLE clarity_reader SET default_transaction_read_only = on');
  // Set-based ETL sorts and hashes large deltas; one worker per model at a time.
  await c.query("ALTER ROLE nexus_etl SET work_mem = '64MB'");
}

/** Creates roles and, on the embedded cluster, the database; then database-level grants. */
export async function bootstrap(db: DbAccess): Promise<void> {
  const maintenance = db.target.maintenanceDb;
  await asAdmin(db, maintenance ?? db.target.database, async (c) => {
    await ensureRoles(c, db);
    if (!maintenance) return;
    const exists = await c.query('SELECT 1 FROM pg_database WHERE datname = $1', [db.target.database]);
    if (!exists.rowCount) {
      await c.query(`CREATE DATABASE ${quoteIdent(db.target.database)} OWNER nexus_owner ENCODING 'UTF8' TEMPLATE template0`);
    }
  });
  await asAdmin(db, db.target.database, (c) => grantDatabase(c, db.target.database));
}

async function asAdmin(db: DbAccess, database: string, fn: (c: pg.Client) => Promise<void>): Promise<void> {
  const c = await db.connect('admin', database);
  try {
    await fn(c);
  } catch (err) {
    if ((err as { code?: string }).code === '42501') {
      throw new NexusError('db_admin_required', `The login in DATABASE_URL must own the database and be able to create roles (CREATEROLE): ${(err as Error).message}`);
    }
    throw err;
  } finally {
    await c.end();
  }
}

/** Only our roles may connect; only the owner may create schemas. */
export async function grantDatabase(c: pg.Client, database: string): Promise<void> {
  const dbName = quoteIdent(database);
  const others = ROLE_NAMES.filter((r) => r !== 'nexus_owner').join(', ');
  await c.query(`REVOKE ALL ON DATABASE ${dbName} FROM PUBLIC`);
  await c.query(`GRANT CONNECT ON DATABASE ${dbName} TO ${others}`);
  // ETL stages set-based work in temporary tables.
  await c.query(`GRANT TEMPORARY ON DATABASE ${dbName} TO nexus_etl`);
  await c.query(`GRANT CONNECT, CREATE, TEMPORARY ON DATABASE ${dbName} TO nexus_owner`);
  await c.query('REVOKE ALL ON SCHEMA public FROM PUBLIC');
}
