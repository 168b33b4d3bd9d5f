// `nexus etl status`: per model, its watermark, backlog (source rows not yet
// processed), and last run with failures and failed data tests.

import type { DbAccess } from '../db/connection.ts';
import { quoteIdent } from '../db/ident.ts';
import { loadModels } from './models.ts';

export interface ModelStatus {
  model: string;
  layer: string;
  watermark: string | null;
  backlog_rows: number | null;
  oldest_waiting_at: string | null;
  last_status: string | null;
  last_run_at: string | null;
  last_rows: number | null;
  last_error: string | null;
  test_failures: unknown;
}

const timeColumn: Record<string, string> = {
  'staging.sync_inbound': 'received_at',
  'staging.crawl_raw': 'received_at',
  'staging.import_raw': 'received_at',
  'nexus.sync_requests': 'logged_at',
};

export async function etlStatus(db: DbAccess): Promise<ModelStatus[]> {
  const pool = db.pool('nexus_etl');
  const out: ModelStatus[] = [];
  for (const m of loadModels().filter((x) => x.kind === 'incremental')) {
    const wm = await pool.query<{ t: string }>('SELECT through_txid::text AS t FROM nexus.etl_watermarks WHERE model = $1', [m.name]);
    const watermark = wm.rows[0]?.t ?? null;
    let backlog: number | null = null;
    let oldest: string | null = null;
    for (const src of m.sources.filter((s) => timeColumn[s])) {
      const table = src.split('.').map(quoteIdent).join('.');
      const { rows } = await pool.query<{ n: string; oldest: Date | null }>(
        `SELECT count(*) AS n, min(${quoteIdent(timeColumn[src]!)}) AS oldest FROM ${table} WHERE txid >= $1::xid8`,
        [watermark ?? '0'],
      );
      backlog = (backlog ?? 0) + Number(rows[0]!.n);
      const o = rows[0]!.oldest?.toISOString() ?? null;
      if (o && (!oldest || o < oldest)) oldest = o;
    }
    const last = await pool.query<{ status: string; finished_at: Date; rows_affected: string | null; error: string | null; test_failures: unknown }>(
      'SELECT status, finished_at, rows_affected, error, test_failures FROM nexus.etl_runs WHERE model = $1 ORDER BY run_id DESC LIMIT 1',
      [m.name],
    );
    const r = last.rows[0];
    out.push({
      model: m.name,
      layer: m.layer,
      watermark,
      backlog_rows: backlog,
      oldest_waiting_at: oldest,
      last_status: r?.status ?? null,
      last_run_at: r?.finished_at.toISOString() ?? null,
      last_rows: r?.rows_affected == null ? null : Number(r.rows_affected),
      last_error: r?.error ?? null,
      test_failures: r?.test_failures ?? null,
    });
  }
  return out;
}
