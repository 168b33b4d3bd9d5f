// One row per push/pull request of an authenticated device in
// nexus.sync_requests; ETL turns them into warehouse.fact_sync_log. A
// successful push writes its row in the same transaction as its ops (the
// counts always match staging); failed requests are logged on their way out.

import type pg from 'pg';

export interface SyncRequestRow {
  requestId: string;
  direction: 'push' | 'pull';
  deviceId: string;
  requestedAt: Date;
  httpStatus: number;
  errorCode?: string | null;
  opCount?: number;
  appliedCount?: number;
  duplicateCount?: number;
  rejectedCount?: number;
  changeCount?: number;
  requestBytes?: number | null;
  durationMs?: number | null;
  lastSeq?: number | null;
}

export async function recordSyncRequest(db: Pick<pg.Pool | pg.PoolClient, 'query'>, r: SyncRequestRow): Promise<void> {
  await db.query(
    `INSERT INTO nexus.sync_requests (request_id, direction, device_id, requested_at, http_status, error_code,
       op_count, applied_count, duplicate_count, rejected_count, change_count, request_bytes, duration_ms, last_seq)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)`,
    [
      r.requestId, r.direction, r.deviceId, r.requestedAt, r.httpStatus, r.errorCode ?? null,
      r.opCount ?? 0, r.appliedCount ?? 0, r.duplicateCount ?? 0, r.rejectedCount ?? 0, r.changeCount ?? 0,
      r.requestBytes ?? null, r.durationMs === undefined || r.durationMs === null ? null : Math.round(r.durationMs), r.lastSeq ?? null,
    ],
  );
}
