// Parameters (SYNC_PROTOCOL §5): server wins. Administrators change them
// (CLI, later an admin API) as nexus_owner; devices read the whole set with
// its version. The version rises once per changing transaction (a trigger
// in migration 0005), so an import of many keys is one new version.

import type pg from 'pg';
import { NexusError, usageError } from '../core/errors.ts';
import type { ParametersResponse } from '../protocol/index.ts';
import { isPlainObject } from '../protocol/index.ts';

type Queryable = Pick<pg.Pool | pg.PoolClient, 'query'>;

const KEY = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,199}$/;

export function checkKey(key: string): string {
  if (!KEY.test(key)) {
    throw usageError('invalid_parameter_key', `Parameter key "${key.slice(0, 80)}" is not valid; use 1–200 letters, digits, '.', '_', ':' or '-', starting with a letter or digit.`);
  }
  return key;
}

/** The whole set and its version, read in one statement (one snapshot). */
export async function readParameters(db: Queryable): Promise<ParametersResponse> {
  const { rows } = await db.query<{ version: string; parameters: Record<string, unknown> }>(
    `SELECT v.version,
            coalesce((SELECT jsonb_object_agg(p.key, p.value ORDER BY p.key) FROM nexus.parameters p), '{}'::jsonb) AS parameters
       FROM nexus.parameters_version v`,
  );
  const row = rows[0];
  if (!row) throw new NexusError('parameters_missing', 'nexus.parameters_version has no row; run `nexus migrate`.');
  return { version: Number(row.version), parameters: row.parameters };
}

export async function parametersVersion(db: Queryable): Promise<number> {
  const { rows } = await db.query<{ version: string }>('SELECT version FROM nexus.parameters_version');
  return Number(rows[0]?.version ?? 0);
}

/** Sets several keys in one transaction; unchanged values do not raise the version. Returns the new version. */
export async function setParameters(pool: pg.Pool, values: Record<string, unknown>): Promise<number> {
  const entries = Object.entries(values).map(([k, v]) => [checkKey(k), v] as const);
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    await client.query(
      `INSERT INTO nexus.parameters AS p (key, value)
       SELECT e.key, e.value FROM jsonb_each($1::jsonb) AS e
       ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value, updated_at = now()
        WHERE p.value IS DISTINCT FROM EXCLUDED.value`,
      [JSON.stringify(Object.fromEntries(entries))],
    );
    const version = await parametersVersion(client);
    await client.query('COMMIT');
    return version;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    client.release();
  }
}

export async function deleteParameter(pool: pg.Pool, key: string): Promise<boolean> {
  const { rowCount } = await pool.query('DELETE FROM nexus.parameters WHERE key = $1', [checkKey(key)]);
  return rowCount === 1;
}

/** Parses an import file: a JSON object of key → value. */
export function parseImport(text: string, file: string): Record<string, unknown> {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    throw usageError('invalid_parameters_file', `${file} is not valid JSON: ${(err as Error).message}`);
  }
  if (!isPlainObject(data)) throw usageError('invalid_parameters_file', `${file} must hold a JSON object of key → value.`);
  return data;
}

/** Strong ETag of a version, and whether If-None-Match names it (or is `*`). */
export function etagOf(version: number): string {
  return `"${version}"`;
}

export function notModified(ifNoneMatch: string | undefined, version: number): boolean {
  if (!ifNoneMatch) return false;
  const tag = etagOf(version);
  return ifNoneMatch.split(',').some((t) => {
    const v = t.trim();
    return v === '*' || v === tag || v === `W/${tag}`;
  });
}
