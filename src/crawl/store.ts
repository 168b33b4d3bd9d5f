// What the crawler writes, as nexus_crawl: raw fetches into
// staging.crawl_raw (an identical body of a source is stored once), the
// validators for conditional requests, the source's declaration, and one
// row per run.

import { createHash } from 'node:crypto';
import type pg from 'pg';
import type { CrawlSource } from './config.ts';
import { NexusError, EXIT_USAGE } from '../core/errors.ts';

export interface StoredFetch {
  ingestId: number | null;
  sha256: string;
}

export interface CrawlState {
  etag: string | null;
  last_modified: string | null;
  last_sha256: string | null;
}

const NOT_KEPT = new Set(['set-cookie', 'authorization']);

export async function storeFetch(pool: pg.Pool, source: string, f: { url: string; status: number; headers: Record<string, string>; body: Buffer; fetchedAt: Date; raw: unknown | null }): Promise<StoredFetch> {
  const sha256 = createHash('sha256').update(f.body).digest('hex');
  const headers = Object.fromEntries(Object.entries(f.headers).filter(([k]) => !NOT_KEPT.has(k)));
  let raw = f.raw === null || f.raw === undefined ? null : JSON.stringify(f.raw);
  // jsonb cannot hold U+0000: such a body stays raw bytes only (quarantined by the ETL).
  if (raw?.includes('\\u0000')) raw = null;
  const { rows } = await pool.query<{ ingest_id: string }>(
    `INSERT INTO staging.crawl_raw (source, url, http_status, headers, fetched_at, body_sha256, content_type, body, raw)
     VALUES ($1, $2, $3, $4::jsonb, $5, $6, $7, $8, $9::jsonb)
     ON CONFLICT ON CONSTRAINT crawl_raw_source_body DO NOTHING RETURNING ingest_id`,
    [source, f.url, f.status, JSON.stringify(headers), f.fetchedAt, sha256, headers['content-type'] ?? null, f.body, raw],
  );
  return { ingestId: rows[0] ? Number(rows[0].ingest_id) : null, sha256 };
}

export async function loadState(pool: pg.Pool, source: string, url: string): Promise<CrawlState | undefined> {
  const { rows } = await pool.query<CrawlState>('SELECT etag, last_modified, last_sha256 FROM nexus.crawl_state WHERE source = $1 AND url = $2', [source, url]);
  return rows[0];
}

export async function saveState(pool: pg.Pool, source: string, url: string, status: number, headers: Record<string, string>, sha256: string | null): Promise<void> {
  await pool.query(
    `INSERT INTO nexus.crawl_state (source, url, etag, last_modified, last_status, last_sha256, last_fetched_at)
     VALUES ($1, $2, $3, $4, $5, $6, now())
     ON CONFLICT (source, url) DO UPDATE SET
       etag = coalesce(EXCLUDED.etag, CASE WHEN EXCLUDED.last_status = 304 THEN nexus.crawl_state.etag END),
       last_modified = coalesce(EXCLUDED.last_modified, CASE WHEN EXCLUDED.last_status = 304 THEN nexus.crawl_state.last_modified END),
       last_status = EXCLUDED.last_status,
       last_sha256 = coalesce(EXCLUDED.last_sha256, nexus.crawl_state.last_sha256),
       last_fetched_at = now()`,
    [source, url, headers.etag ?? null, headers['last-modified'] ?? null, status, sha256],
  );
}

/** The stored body a 304 refers to, for finding the next page. */
export async function storedBody(pool: pg.Pool, source: string, sha256: string): Promise<{ raw: unknown; headers: Record<string, string> } | undefined> {
  const { rows } = await pool.query<{ raw: unknown; headers: Record<string, string> }>(
    'SELECT raw, headers FROM staging.crawl_raw WHERE source = $1 AND body_sha256 = $2', [source, sha256]);
  return rows[0];
}

/** The source's declaration, for dim_source and the reference-entity model. */
export async function declareSource(pool: pg.Pool, s: CrawlSource): Promise<void> {
  const config = { kind: s.kind, url: s.url, schedule: s.schedule ?? null, pagination: s.pagination ?? null, selector: s.selector ?? null, sheet: s.sheet ?? null, limits: s.limits };
  const { rowCount } = await pool.query(
    `INSERT INTO nexus.sources AS x (source_name, source_kind, description, entity_type, key_field, time_field, records_path, config)
     VALUES ($1, 'crawl', $2, $3, $4, $5, $6, $7::jsonb)
     ON CONFLICT (source_name) DO UPDATE SET
       description = EXCLUDED.description, entity_type = EXCLUDED.entity_type, key_field = EXCLUDED.key_field,
       time_field = EXCLUDED.time_field, records_path = EXCLUDED.records_path, config = EXCLUDED.config,
       updated_at = now(), txid = pg_current_xact_id()
     WHERE x.source_kind = 'crawl'
       AND (x.description, x.entity_type, x.key_field, x.time_field, x.records_path, x.config)
           IS DISTINCT FROM (EXCLUDED.description, EXCLUDED.entity_type, EXCLUDED.key_field, EXCLUDED.time_field, EXCLUDED.records_path, EXCLUDED.config)`,
    [s.name, s.description ?? null, s.entity?.type ?? null, s.entity?.key ?? null, s.time_field ?? null, s.recordsPath, JSON.stringify(config)],
  );
  if (rowCount === 0) {
    const { rows } = await pool.query<{ source_kind: string }>('SELECT source_kind FROM nexus.sources WHERE source_name = $1', [s.name]);
    if (rows[0] && rows[0].source_kind !== 'crawl') {
      throw new NexusError('source_kind_conflict', `The source name "${s.name}" already belongs to an ${rows[0].source_kind} source; give the crawl source another name.`, { exitCode: EXIT_USAGE });
    }
  }
}

export interface RunRecord {
  source: string;
  startedAt: Date;
  status: 'ok' | 'failed';
  pages: number;
  stored: number;
  duplicates: number;
  unchanged: number;
  bytes: number;
  errorCode?: string;
  error?: string;
  worker?: string;
}

export async function recordRun(pool: pg.Pool, r: RunRecord): Promise<void> {
  await pool.query(
    `INSERT INTO nexus.crawl_runs (source, started_at, status, pages, stored, duplicates, unchanged, bytes, error_code, error, worker)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
    [r.source, r.startedAt, r.status, r.pages, r.stored, r.duplicates, r.unchanged, r.bytes, r.errorCode ?? null, r.error ?? null, r.worker ?? null],
  );
}
