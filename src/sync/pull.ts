// Pull (SYNC_PROTOCOL §4): what changed on other devices, from mart_field.
//
// Exactness: rows are delivered in (txid, change_id) order and only below
// the xmin of the reading snapshot. Every transaction below that bound has
// ended, so no row can later appear behind a position already handed out:
// across pages and concurrent pushes and ETL runs, nothing is skipped and
// nothing repeats. A device never gets its own ops back, and sees only the
// patients of its groups.

import type pg from 'pg';
import { NexusError } from '../core/errors.ts';
import type { PullChange, PullResponse } from '../protocol/index.ts';
import { decodeCursor, encodeCursor, type Cursor } from './pull-cursor.ts';

export interface PullDevice {
  deviceId: string;
  groups: string[];
}

interface ChangeRow extends Omit<PullChange, 'version'> {
  txid: string;
  change_id: string;
  version: string;
}

const COLUMNS = `c.txid::text AS txid, c.change_id::text AS change_id, c.entity, c.patient_id, c.entity_id,
  c.version::text AS version, c.origin_device, c.payload_sha256, c.payload`;

const keys = new WeakMap<pg.Pool, Buffer>();
async function cursorKey(db: pg.Pool): Promise<Buffer> {
  let key = keys.get(db);
  if (!key) {
    key = (await db.query<{ secret: Buffer }>("SELECT secret FROM nexus.sync_keys WHERE name = 'pull_cursor'")).rows[0]?.secret;
    if (!key) throw new NexusError('internal_error', 'pull cursor key missing');
    keys.set(db, key);
  }
  return key;
}

/** Latest version of every visible entity below the bound `x` (the first pull). */
function initialPage(c: pg.PoolClient, dev: PullDevice, cur: Cursor, limit: number) {
  return c.query<ChangeRow>(
    `SELECT ${COLUMNS} FROM mart_field.changes c
     WHERE c.txid < $1::xid8 AND (c.txid, c.change_id) > ($2::xid8, $3::bigint)
       AND c.groups && $4::text[] AND c.origin_device <> $5::uuid
       AND NOT EXISTS (SELECT 1 FROM mart_field.changes n
                       WHERE n.entity_id = c.entity_id AND n.version > c.version AND n.txid < $1::xid8)
     ORDER BY c.txid, c.change_id LIMIT $6`,
    [cur.x, cur.txid, cur.changeId, dev.groups, dev.deviceId, limit + 1],
  );
}

/** Every visible change after the position and below the bound `hi`. */
function changesPage(c: pg.PoolClient, dev: PullDevice, cur: Cursor, hi: string, limit: number) {
  return c.query<ChangeRow>(
    `SELECT ${COLUMNS} FROM mart_field.changes c
     WHERE c.txid < $1::xid8 AND (c.txid, c.change_id) > ($2::xid8, $3::bigint)
       AND c.groups && $4::text[] AND c.origin_device <> $5::uuid
     ORDER BY c.txid, c.change_id LIMIT $6`,
    [hi, cur.txid, cur.changeId, dev.groups, dev.deviceId, limit + 1],
  );
}

export async function pull(db: pg.Pool, dev: PullDevice, rawCursor: string | undefined, limit: number): Promise<PullResponse> {
  const key = await cursorKey(db);
  const c = await db.connect();
  try {
    await c.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    const { rows: [snap] } = await c.query<{ hi: string; pruned: string }>(
      `SELECT pg_snapshot_xmin(pg_current_snapshot())::text AS hi, (SELECT pruned_before_txid::text FROM mart_field.retention) AS pruned`,
    );
    const hi = snap!.hi;
    const cur: Cursor = rawCursor !== undefined ? decodeCursor(rawCursor, key) : { mode: 'initial', x: hi, txid: '0', changeId: '0' };
    if (rawCursor !== undefined && BigInt(cur.mode === 'initial' ? cur.x! : cur.txid) < BigInt(snap!.pruned)) {
      throw new NexusError('cursor_expired', 'This cursor points before changes the server no longer keeps; pull again without a cursor.', { status: 410 });
    }
    const res = cur.mode === 'initial' ? await initialPage(c, dev, cur, limit) : await changesPage(c, dev, cur, hi, limit);
    const rows = res.rows.slice(0, limit);
    const hasMore = res.rows.length > limit;
    const last = rows[rows.length - 1];
    let next: Cursor;
    if (hasMore) next = { ...cur, txid: last!.txid, changeId: last!.change_id };
    else if (cur.mode === 'initial') next = { mode: 'changes', txid: cur.x!, changeId: '0' };
    else next = { mode: 'changes', txid: hi, changeId: '0' };
    // An initial pass that ended may already be followed by newer changes.
    const moreAfterInitial = !hasMore && cur.mode === 'initial' && BigInt(hi) > BigInt(cur.x!);
    const meta = await c.query<{ last_seq: string | null; parameters_version: string }>(
      `SELECT (SELECT last_seq FROM nexus.sync_device WHERE device_id = $1)::text AS last_seq,
              (SELECT version FROM nexus.parameters_version)::text AS parameters_version`,
      [dev.deviceId],
    );
    await c.query('COMMIT');
    return {
      changes: rows.map((r) => ({
        entity: r.entity, patient_id: r.patient_id, entity_id: r.entity_id, version: Number(r.version),
        origin_device: r.origin_device, payload_sha256: r.payload_sha256, payload: r.payload,
      })),
      last_seq: Number(meta.rows[0]!.last_seq ?? 0),
      parameters_version: Number(meta.rows[0]!.parameters_version ?? 0),
      cursor: encodeCursor(next, key),
      has_more: hasMore || moreAfterInitial,
    };
  } catch (err) {
    await c.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    c.release();
  }
}
