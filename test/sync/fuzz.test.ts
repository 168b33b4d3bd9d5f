// Thousands of generated hostile requests against push and parameters: no
// 5xx, the server keeps answering, and whatever fails as a whole writes
// nothing (the device's rows stay exactly seq 1..last_seq, each once).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { startStack, enrolDevice, request, auth, makeOp, type Stack, type Reply } from './stack.ts';
import { HEADER_TRICKS, PATH_TRICKS, hostileBody, hostileOp, rng, type Rand } from './fuzz-gen.ts';

const s: Stack = await startStack();
const SEED = 20261126;
const REQUESTS = 3000;

test(`fuzz: ${REQUESTS} hostile requests (seed ${SEED}) never get a 5xx and whole-request failures write nothing`, { timeout: 120_000 }, async () => {
  const d = await enrolDevice(s);
  const r: Rand = rng(SEED);
  let lastSeq = 0;
  const statuses = new Map<number, number>();
  const failures: string[] = [];

  async function one(i: number): Promise<void> {
    const kind = r();
    let method = 'POST';
    let path = '/v1/sync/push';
    let headers: Record<string, string> = { ...auth(d.token), 'content-type': 'application/json' };
    let body: string | undefined;
    if (kind < 0.45) {
      const n = 1 + Math.floor(r() * 5);
      const start = r() < 0.85 ? lastSeq + 1 : Math.max(1, lastSeq + Math.floor(r() * 5) - 2);
      const ops = Array.from({ length: n }, (_, k) => (r() < 0.3 ? makeOp(start + k) : hostileOp(r, start + k, makeOp(start + k))));
      body = JSON.stringify({ ops });
    } else if (kind < 0.75) {
      body = hostileBody(r);
    } else if (kind < 0.85) {
      method = r() < 0.5 ? 'GET' : 'POST';
      path = PATH_TRICKS[Math.floor(r() * PATH_TRICKS.length)]!;
      body = method === 'POST' ? hostileBody(r) : undefined;
    } else if (kind < 0.95) {
      method = 'GET';
      path = '/v1/parameters';
      headers = { ...auth(d.token), ...HEADER_TRICKS[Math.floor(r() * HEADER_TRICKS.length)]! };
    } else {
      headers = { ...HEADER_TRICKS[Math.floor(r() * HEADER_TRICKS.length)]!, authorization: r() < 0.5 ? `Bearer ${randomUUID()}` : `Bearer ${d.token}x` };
      body = '{"ops":[]}';
    }
    let res: Reply;
    try {
      res = await request(s, s.sync.url, method, path, { headers, ...(body !== undefined ? { body } : {}) });
    } catch (err) {
      failures.push(`#${i} ${method} ${path}: transport error ${(err as Error).message}`);
      return;
    }
    statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
    if (res.status >= 500) failures.push(`#${i} ${method} ${path} → ${res.status} ${res.text.slice(0, 200)} body=${(body ?? '').slice(0, 200)}`);
    if (res.status >= 400 && res.json?.code === undefined) failures.push(`#${i} ${method} ${path} → ${res.status} without a problem code`);
    if (res.status === 200 && path === '/v1/sync/push' && typeof res.json?.last_seq === 'number') lastSeq = Math.max(lastSeq, res.json.last_seq);
  }

  const t0 = Date.now();
  const CONCURRENCY = 8;
  let next = 0;
  await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
    while (next < REQUESTS) await one(next++);
  }));
  assert.deepEqual(failures.slice(0, 20), []);
  const rows = await s.t.query<{ n: number; max: string | null; distinct_seqs: number }>('admin',
    'SELECT count(*)::int AS n, max(seq) AS max, count(DISTINCT seq)::int AS distinct_seqs FROM staging.sync_inbound WHERE device_id = $1', [d.deviceId]);
  const dev = await s.t.query<{ last_seq: string }>('admin', 'SELECT last_seq FROM nexus.sync_device WHERE device_id = $1', [d.deviceId]);
  assert.equal(Number(dev[0]!.last_seq), lastSeq);
  assert.equal(rows[0]!.n, lastSeq, 'one row per consumed seq, nothing else');
  assert.equal(rows[0]!.distinct_seqs, lastSeq);
  const other = await s.t.query<{ n: number }>('admin', 'SELECT count(*)::int AS n FROM staging.sync_inbound WHERE device_id <> $1', [d.deviceId]);
  assert.equal(other[0]!.n, 0);
  // still healthy afterwards
  const after = await request(s, s.sync.url, 'POST', '/v1/sync/push', { headers: auth(d.token), json: { ops: [makeOp(lastSeq + 1)] } });
  assert.equal(after.status, 200, after.text);
  assert.ok(statuses.get(200)! > 100, `statuses: ${JSON.stringify([...statuses])}`);
  process.stderr.write(`fuzz: ${REQUESTS} requests in ${Date.now() - t0} ms, statuses ${JSON.stringify(Object.fromEntries(statuses))}, ${lastSeq} seqs consumed\n`);
});
