// Numbered .sql migrations (src/db/migrations/NNNN_name.sql), applied in
// order, each in its own transaction as nexus_owner, recorded with the
// SHA-256 of the file. Re-running is a no-op; an applied file that changed
// is refused. A session advisory lock keeps two runners from interleaving.

import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type pg from 'pg';
import { NexusError } from '../core/errors.ts';
import type { DbAccess } from './connection.ts';
import { mapPgError } from './errors.ts';

export const MIGRATIONS_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), 'migrations');

export interface Migration {
  version: number;
  name: string;
  file: string;
  sql: string;
  checksum: string;
}

export interface MigrationResult {
  applied: Migration[];
  alreadyApplied: number;
}

const LOCK_KEY = 'nexus.migrate';

export function readMigrations(dir = MIGRATIONS_DIR): Migration[] {
  const seen = new Map<number, string>();
  return readdirSync(dir)
    .filter((f) => f.endsWith('.sql'))
    .map((file) => {
      const m = /^(\d{4})_([a-z0-9_]+)\.sql$/.exec(file);
      if (!m) throw new NexusError('migration_name_invalid', `Migration file ${file} must be named NNNN_snake_case.sql`);
      const version = Number(m[1]);
      if (seen.has(version)) throw new NexusError('migration_name_invalid', `Migrations ${seen.get(version)} and ${file} share number ${m[1]}`);
      seen.set(version, file);
      const sql = readFileSync(path.join(dir, file), 'utf8');
      return { version, name: m[2]!, file, sql, checksum: createHash('sha256').update(sql).digest('hex') };
    })
    .sort((a, b) => a.version - b.version);
}

async function recorded(c: pg.Client): Promise<Map<number, { name: string; checksum: string }>> {
  await c.query('CREATE SCHEMA IF NOT EXISTS nexus AUTHORIZATION nexus_owner');
  await c.query(`SET ROLE nexus_owner`);
  await c.query(`CREATE TABLE IF NOT EXISTS nexus.schema_migrations (
    version integer PRIMARY KEY,
    name text NOT NULL,
    checksum text NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now(),
    duration_ms integer NOT NULL)`);
  await c.query('RESET ROLE');
  const { rows } = await c.query<{ version: number; name: string; checksum: string }>('SELECT version, name, checksum FROM nexus.schema_migrations');
  return new Map(rows.map((r) => [r.version, r]));
}

/** Applies pending migrations; throws `migration_changed` if history and files disagree. */
export async function migrate(db: DbAccess, migrations = readMigrations()): Promise<MigrationResult> {
  const c = await db.connect('admin');
  try {
    await c.query('SELECT pg_advisory_lock(hashtext($1))', [LOCK_KEY]);
    const done = await recorded(c);
    for (const m of migrations) {
      const prev = done.get(m.version);
      if (prev && prev.checksum !== m.checksum) {
        throw new NexusError(
          'migration_changed',
          `Migration ${m.file} was changed after it was applied (recorded sha256 ${prev.checksum.slice(0, 12)}…, file now ${m.checksum.slice(0, 12)}…). Restore the file and put the change in a new migration.`,
        );
      }
    }
    const known = new Set(migrations.map((m) => m.version));
    const unknown = [...done.keys()].filter((v) => !known.has(v));
    if (unknown.length) {
      throw new NexusError('migration_unknown', `The database has migrations this code does not know (${unknown.join(', ')}); it was migrated by a newer version of nexus.`);
    }
    const applied: Migration[] = [];
    for (const m of migrations) {
      if (done.has(m.version)) continue;
      const t0 = Date.now();
      try {
        await c.query('BEGIN');
        await c.query('SET LOCAL ROLE nexus_owner');
        await c.query(m.sql);
        await c.query('INSERT INTO nexus.schema_migrations (version, name, checksum, duration_ms) VALUES ($1, $2, $3, $4)', [
          m.version,
          m.name,
          m.checksum,
          Date.now() - t0,
        ]);
        await c.query('COMMIT');
      } catch (err) {
        await c.query('ROLLBACK').catch(() => undefined);
        const e = mapPgError(err);
        throw new NexusError('migration_failed', `Migration ${m.file} failed and was rolled back: ${e.message}`, { cause: err });
      }
      applied.push(m);
    }
    return { applied, alreadyApplied: migrations.length - applied.length };
  } finally {
    await c.query('SELECT pg_advisory_unlock(hashtext($1))', [LOCK_KEY]).catch(() => undefined);
    await c.end();
  }
}

export async function migrationStatus(db: DbAccess, migrations = readMigrations()): Promise<Array<{ file: string; appliedAt: Date | null }>> {
  const c = await db.connect('admin');
  try {
    const { rows } = await c.query<{ version: number; applied_at: Date }>(
      "SELECT version, applied_at FROM nexus.schema_migrations WHERE to_regclass('nexus.schema_migrations') IS NOT NULL",
    ).catch(() => ({ rows: [] as Array<{ version: number; applied_at: Date }> }));
    const at = new Map(rows.map((r) => [r.version, r.applied_at]));
    return migrations.map((m) => ({ file: m.file, appliedAt: at.get(m.version) ?? null }));
  } finally {
    await c.end();
  }
}
