// `nexus crawl status`: per source, its last run and what staging holds.

import type { DbAccess } from '../db/connection.ts';

export interface SourceStatus {
  source: string;
  declared: boolean;
  last_status: string | null;
  last_run_at: string | null;
  last_error_code: string | null;
  last_error: string | null;
  runs: number;
  failed_runs: number;
  stored_rows: number;
  last_stored_at: string | null;
}

export async function crawlStatus(db: DbAccess, declared: string[]): Promise<SourceStatus[]> {
  const { rows } = await db.pool('nexus_crawl').query<SourceStatus>(
    `WITH names AS (
       SELECT unnest($1::text[]) AS source UNION SELECT DISTINCT source FROM nexus.crawl_runs
     ), runs AS (
       SELECT source, count(*)::int AS runs, count(*) FILTER (WHERE status = 'failed')::int AS failed_runs FROM nexus.crawl_runs GROUP BY source
     ), stored AS (
       SELECT source, count(*)::int AS stored_rows, max(received_at) AS last_stored_at FROM staging.crawl_raw GROUP BY source
     )
     SELECT n.source, n.source = ANY($1) AS declared, l.status AS last_status, to_char(l.finished_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') AS last_run_at,
            l.error_code AS last_error_code, l.error AS last_error, coalesce(r.runs, 0) AS runs, coalesce(r.failed_runs, 0) AS failed_runs,
            coalesce(s.stored_rows, 0) AS stored_rows, to_char(s.last_stored_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') AS last_stored_at
     FROM names n
     LEFT JOIN LATERAL (SELECT * FROM nexus.crawl_runs c WHERE c.source = n.source ORDER BY c.run_id DESC LIMIT 1) l ON true
     LEFT JOIN runs r ON r.source = n.source
     LEFT JOIN stored s ON s.source = n.source
     ORDER BY n.source`,
    [declared],
  );
  return rows;
}
