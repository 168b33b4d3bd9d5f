// nexus.imports: one row per import of a file, the sha256 that makes a
// second import of the same file a refusal (unless forced), and the source's
// declaration for the warehouse.

import type pg from 'pg';
import { NexusError, EXIT_USAGE } from '../core/errors.ts';
import type { Format } from './formats.ts';
import type { Reject } from './records.ts';

export interface ImportSourceDecl {
  name: string;
  description?: string;
  entityType?: string;
  keyField?: string;
  timeField?: string;
}

export const SOURCE_NAME = /^[a-z0-9][a-z0-9_.-]{0,62}$/;

/** Takes the per-file advisory lock: two imports of one file never overlap. */
export async function lockFile(c: pg.ClientBase, sha256: string): Promise<void> {
  await c.query("SELECT pg_advisory_lock(hashtext('nexus.import'), hashtext($1))", [sha256]);
}

export async function unlockFile(c: pg.ClientBase, sha256: string): Promise<void> {
  await c.query("SELECT pg_advisory_unlock(hashtext('nexus.import'), hashtext($1))", [sha256]);
}

export async function previousImport(c: pg.ClientBase, sha256: string): Promise<{ import_id: string; source: string; finished_at: Date } | undefined> {
  const { rows } = await c.query<{ import_id: string; source: string; finished_at: Date }>(
    "SELECT import_id, source, finished_at FROM nexus.imports WHERE file_sha256 = $1 AND status = 'done' ORDER BY finished_at DESC LIMIT 1", [sha256]);
  return rows[0];
}

export async function declareImportSource(c: pg.ClientBase, d: ImportSourceDecl): Promise<void> {
  if (!SOURCE_NAME.test(d.name)) throw new NexusError('import_source_invalid', `--source "${d.name}" must be lowercase letters, digits, _ . - (up to 63, starting with a letter or digit)`, { status: 400, exitCode: EXIT_USAGE });
  if ((d.entityType === undefined) !== (d.keyField === undefined)) {
    throw new NexusError('import_source_invalid', '--entity-type and --key go together: the type of entity the rows describe and the field that identifies one', { status: 400, exitCode: EXIT_USAGE });
  }
  if (d.entityType !== undefined && (!/^[a-z][a-z0-9_]{0,62}$/.test(d.entityType) || d.entityType === 'patient')) {
    throw new NexusError('import_source_invalid', `--entity-type "${d.entityType}" must be a lowercase name other than patient`, { status: 400, exitCode: EXIT_USAGE });
  }
  const { rows } = await c.query<{ source_kind: string }>(
    `INSERT INTO nexus.sources AS x (source_name, source_kind, description, entity_type, key_field, time_field)
     VALUES ($1, 'import', $2, $3, $4, $5)
     ON CONFLICT (source_name) DO UPDATE SET
       description = coalesce(EXCLUDED.description, x.description),
       entity_type = coalesce(EXCLUDED.entity_type, x.entity_type),
       key_field = coalesce(EXCLUDED.key_field, x.key_field),
       time_field = coalesce(EXCLUDED.time_field, x.time_field),
       updated_at = now(), txid = pg_current_xact_id()
     WHERE x.source_kind = 'import'
       AND (coalesce(EXCLUDED.description, x.description), coalesce(EXCLUDED.entity_type, x.entity_type),
            coalesce(EXCLUDED.key_field, x.key_field), coalesce(EXCLUDED.time_field, x.time_field))
           IS DISTINCT FROM (x.description, x.entity_type, x.key_field, x.time_field)
     RETURNING source_kind`,
    [d.name, d.description ?? null, d.entityType ?? null, d.keyField ?? null, d.timeField ?? null],
  );
  if (!rows.length) {
    const cur = await c.query<{ source_kind: string }>('SELECT source_kind FROM nexus.sources WHERE source_name = $1', [d.name]);
    if (cur.rows[0]?.source_kind === 'crawl') {
      throw new NexusError('source_kind_conflict', `"${d.name}" is a crawl source; imports need a source name of their own.`, { status: 409, exitCode: EXIT_USAGE });
    }
  }
}

export interface ImportRow {
  importId: string;
  source: string;
  fileName: string;
  sha256: string;
  bytes: number;
  format: Format;
  forced: boolean;
  via: 'cli' | 'http';
}

export async function startImport(c: pg.ClientBase, r: ImportRow): Promise<void> {
  await c.query(
    `INSERT INTO nexus.imports (import_id, source, file_name, file_sha256, file_bytes, format, status, forced, via)
     VALUES ($1, $2, $3, $4, $5, $6, 'running', $7, $8)`,
    [r.importId, r.source, r.fileName, r.sha256, r.bytes, r.format, r.forced, r.via],
  );
}

export async function finishImport(c: pg.ClientBase, importId: string, loaded: number, rejected: number, rejects: Array<{ line: number; reject: Reject }>): Promise<void> {
  if (rejects.length) {
    await c.query(
      `INSERT INTO nexus.import_rejects (import_id, line_number, reason_code, reason, excerpt)
       SELECT $1, r.line, r.code, r.reason, r.excerpt FROM jsonb_to_recordset($2::jsonb) AS r(line bigint, code text, reason text, excerpt text)
       ON CONFLICT DO NOTHING`,
      [importId, JSON.stringify(rejects.map((x) => ({ line: x.line, ...x.reject })))],
    );
  }
  await c.query(
    "UPDATE nexus.imports SET status = 'done', rows_loaded = $2, rows_rejected = $3, finished_at = clock_timestamp() WHERE import_id = $1",
    [importId, loaded, rejected],
  );
}

export async function failImport(c: pg.ClientBase | pg.Pool, importId: string, error: string): Promise<void> {
  await c.query("UPDATE nexus.imports SET status = 'failed', error = $2, finished_at = clock_timestamp() WHERE import_id = $1", [importId, error]);
}
