// A real server for the field client: the sync tests' stack (Guardian and
// nexus-sync over HTTPS on ephemeral ports, the file's own database), plus
// the ETL run by hand (`settle`) since pulls read the warehouse's feed.
// settle() waits for the feed's models only: a broken model elsewhere in the
// ETL (analytics marts) is its own tests' business, not the field client's.

import { after } from 'node:test';
import { randomUUID } from 'node:crypto';
import { addDevice } from '../../src/guardian/index.ts';
import { caCertPath } from '../../src/tls/index.ts';
import { initDevice, openDevice, type FieldClient, type HttpClient, type RetryPolicy } from '../../src/field/index.ts';
import { nodeFs, nodeHttp } from '../../src/field/node.ts';
import { startStack, type Stack } from '../sync/stack.ts';
import assert from 'node:assert/strict';
import { runModels } from '../../src/etl/runner.ts';
import { FEED_MODELS, feedCaughtUp } from '../../src/field-sim/check.ts';
import { tempDir } from './helpers.ts';

export interface FieldStack extends Stack {
  http: HttpClient;
  settle(): Promise<void>;
  device(opts?: { http?: HttpClient; syncUrl?: string; retry?: RetryPolicy; dir?: string }): Promise<FieldClient & { dir: string }>;
}

/** Fast retries for tests: the policy's shape, not its production delays. */
export const FAST_RETRY: RetryPolicy = { attempts: 10, baseMs: 20, capMs: 400 };

export async function fieldStack(extra: Record<string, string> = {}): Promise<FieldStack> {
  const s = await startStack(extra);
  const http = nodeHttp({ ca: s.ca, timeoutMs: 10_000 });
  after(() => http.close());
  const fs: FieldStack = Object.assign(s, {
    http,
    settle: () => settleFeed(s),
    async device(opts: { http?: HttpClient; syncUrl?: string; retry?: RetryPolicy; dir?: string } = {}) {
      const dir = opts.dir ?? tempDir();
      const { enrollmentCode } = await addDevice(s.home, { name: `field-${randomUUID().slice(0, 8)}`, enrollmentTtlHours: 24 });
      // Enrolment over the good link: a lost enrolment answer spends the code (it is single use).
      await initDevice(nodeFs(dir), http, {
        enrollmentCode,
        config: { guardian_url: s.guardian.url, sync_url: opts.syncUrl ?? s.sync.url, ca_file: caCertPath(s.home) },
        retry: opts.retry ?? FAST_RETRY,
      });
      const client = await openDevice(nodeFs(dir), opts.http ?? http, { retry: opts.retry ?? FAST_RETRY });
      return Object.assign(client, { dir });
    },
  });
  return fs;
}

/** staging rows of a device: op_id → count, and the seqs stored. */
export async function staged(s: Stack, deviceId: string): Promise<{ byOp: Map<string, number>; seqs: number[]; rows: Array<{ op_id: string; seq: number; status: string; error_code: string | null; ingest_id: number; entity_id: string }> }> {
  const rows = await s.t.query<{ op_id: string; seq: number; status: string; error_code: string | null; ingest_id: number; entity_id: string }>(
    'admin', 'SELECT op_id, seq::int AS seq, status, error_code, ingest_id::int AS ingest_id, entity_id::text AS entity_id FROM staging.sync_inbound WHERE device_id = $1 ORDER BY seq', [deviceId]);
  const byOp = new Map<string, number>();
  for (const r of rows) byOp.set(r.op_id, (byOp.get(r.op_id) ?? 0) + 1);
  return { byOp, seqs: rows.map((r) => r.seq), rows };
}

/** Runs the ETL until the pull feed holds everything staged (the feed's models must build). */
export async function settleFeed(s: Stack): Promise<void> {
  const feed = new Set([...FEED_MODELS.warehouse, ...FEED_MODELS.marts]);
  for (let pass = 0; pass < 100; pass++) {
    const res = await runModels(s.t.db);
    assert.deepEqual(res.filter((r) => feed.has(r.model) && r.status !== 'ok'), [], 'the feed\u2019s models build');
    if (await feedCaughtUp(s.t.db, null)) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('the pull feed did not catch up within 100 ETL passes');
}
