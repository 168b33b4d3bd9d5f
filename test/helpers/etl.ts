// A complete ETL build for tests. One pass only reaches up to the oldest
// transaction still open anywhere in the cluster (other test files write
// concurrently), so a test that wants everything built runs passes until
// every watermark lies beyond every row written so far. Then it waits until
// every transaction open at that moment has ended: readers bounded by the
// snapshot's xmin (pull, Clarity's refresh) see nothing an ETL transaction
// wrote while an older transaction elsewhere in the cluster is still open.

import assert from 'node:assert/strict';
import type { TestDb } from './db.ts';
import { runModels, type RunOptions } from '../../src/etl/runner.ts';

const SOURCES = [
  'staging.sync_inbound', 'staging.crawl_raw', 'staging.import_raw', 'nexus.sync_requests',
].map((t) => `SELECT max(txid) AS t FROM ${t}`).concat(
  ['dim_entity', 'dim_device', 'dim_source', 'fact_transactions', 'fact_events', 'fact_sync_log'].map((t) => `SELECT max(loaded_txid) FROM warehouse.${t}`),
);

export async function settle(t: TestDb, opts: RunOptions = {}): Promise<void> {
  let first = true;
  for (let pass = 0; pass < 100; pass++) {
    const res = await runModels(t.db, first ? opts : {});
    first = false;
    assert.deepEqual(res.filter((r) => r.status !== 'ok'), [], 'every model builds');
    const [done] = await t.query<{ ok: boolean }>(
      'admin',
      `SELECT (SELECT min(through_txid) FROM nexus.etl_watermarks) > coalesce((SELECT max(t) FROM (${SOURCES.join(' UNION ALL ')}) s), '0') AS ok`,
    );
    if (done!.ok) return visibleToEveryone(t);
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('the ETL did not catch up within 100 passes');
}

async function visibleToEveryone(t: TestDb): Promise<void> {
  const [now] = await t.query<{ x: string }>('admin', 'SELECT pg_current_xact_id()::text AS x');
  for (let i = 0; i < 600; i++) {
    const [seen] = await t.query<{ ok: boolean }>('admin', 'SELECT pg_snapshot_xmin(pg_current_snapshot()) > $1::xid8 AS ok', [now!.x]);
    if (seen!.ok) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`a transaction older than ${now!.x} stayed open for 30 s`);
}
