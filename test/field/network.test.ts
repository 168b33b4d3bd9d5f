// Bad links and a restless server: a proxy that drops and stalls connections
// mid-request, tokens that expire during a long sync, a sync server that
// restarts in the middle. Every time: nothing lost, nothing stored twice.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { sha256Hex } from '../../src/protocol/index.ts';
import { addPatient, addSession, attach, editPatient, outboxSeqs, readMeta, sync, type FieldClient, type HttpClient } from '../../src/field/index.ts';
import { nodeHttp } from '../../src/field/node.ts';
import { startSyncServer } from '../../src/sync/service.ts';
import { createLogger } from '../../src/core/log.ts';
import { rng } from '../../src/field-sim/data.ts';
import { fieldStack, staged, type FieldStack } from './stack.ts';
import { tcpProxy, type Fate } from './proxy.ts';
import { claims, signWithGuardianKey } from '../sync/tokens.ts';
import type { Device } from '../sync/stack.ts';

const s = await fieldStack();

async function syncUntilDone(c: FieldClient, opts: Parameters<typeof sync>[1] = {}, tries = 30): Promise<number> {
  let failures = 0;
  for (let i = 0; i < tries; i++) {
    try {
      await sync(c, opts);
      if ((await outboxSeqs(c.device.fs)).length === 0) return failures;
    } catch (err) {
      failures++;
      if ((err as { code?: string }).code !== 'network_unavailable') throw err;
    }
  }
  throw new Error('sync never completed');
}

async function assertExactlyOnce(st: FieldStack, c: FieldClient, expected: number): Promise<void> {
  const { seqs, byOp } = await staged(st, c.device.state.device_id);
  assert.deepEqual(seqs, Array.from({ length: expected }, (_, i) => i + 1), 'seqs 1..n, each once');
  assert.equal(byOp.size, expected, 'every op once');
  assert.deepEqual(await outboxSeqs(c.device.fs), []);
}

test('flaky network: dropped and stalled connections mid-request, sync completes with no loss and no duplicates', async () => {
  const r = rng(7);
  // Keep-alive connections carry many requests: every connection breaks at a
  // random point, in either direction, until the 60th.
  const plan = (i: number): Fate => {
    if (i >= 60) return { kind: 'pass' };
    const direction = r() < 0.6 ? 'up' : 'down';
    const afterBytes = 2000 + Math.floor(r() * 40_000);
    return { kind: r() < 0.75 ? 'drop' : 'stall', afterBytes, direction };
  };
  const proxy = await tcpProxy(s.sync.port, plan);
  const flakyHttp = nodeHttp({ ca: s.ca, timeoutMs: 700 });
  try {
    const retry = { attempts: 12, baseMs: 10, capMs: 200 };
    const a = await s.device({ http: flakyHttp, syncUrl: `https://127.0.0.1:${proxy.port}`, retry });
    const b = await s.device({ http: flakyHttp, syncUrl: `https://127.0.0.1:${proxy.port}`, retry });
    const ids: string[] = [];
    for (let i = 0; i < 12; i++) ids.push(await addPatient(a.device, { n: i, blob: 'x'.repeat(2000) }));
    for (let i = 0; i < 30; i++) await addSession(a.device, ids[i % ids.length]!, { i, notes: 'y'.repeat(1500) });
    for (let i = 0; i < 6; i++) await editPatient(a.device, ids[i]!, { phone: String(i) });
    const img = new Uint8Array(90 * 1024);
    img.set([0xff, 0xd8, 0xff, 0xe0]);
    for (let i = 4; i < img.length; i++) img[i] = (i * 13) & 0xff;
    const att = await attach(a.device, ids[0]!, { bytes: img });
    const failures = await syncUntilDone(a, { maxOps: 8, tusThreshold: 40 * 1024, tusChunkSize: 16 * 1024 });
    await assertExactlyOnce(s, a, 12 + 30 + 6 + 1);
    assert.ok(proxy.stats.dropped + proxy.stats.stalled > 10, `the proxy interfered (${JSON.stringify(proxy.stats)}, ${failures} failed syncs, ${a.api.stats.retries} retries)`);
    const files = await s.t.query<{ n: number }>('admin', 'SELECT count(*)::int AS n FROM nexus.files WHERE sha256 = $1', [att.sha256]);
    assert.equal(files[0]!.n, 1, 'the attachment arrived (through tus, resumed where the link broke)');
    await s.settle();
    await syncUntilDone(b, { pullLimit: 7 });
    for (const id of ids) {
      const mb = (await readMeta(b.device.fs, id)).versions[id];
      const ma = (await readMeta(a.device.fs, id)).versions[id];
      assert.equal(mb?.version, ma?.version, `b holds a's latest version of ${id}`);
    }
    assert.equal(sha256Hex(readFileSync(path.join(b.dir, 'patients', ids[0]!, 'images', `${att.entityId}.jpg`))), att.sha256);
  } finally {
    await flakyHttp.close();
    await proxy.close();
  }
});

test('tokens expiring during a long sync are renewed (401 → new token → retry)', async () => {
  // The server allows 30 s of clock skew, so expiry is staged: every third
  // push goes out with a token that expired a minute ago.
  let pushes = 0;
  const expiring: HttpClient = {
    request: async (req) => {
      if (req.url.includes('/v1/sync/push') && ++pushes % 3 === 0) {
        const now = Math.floor(Date.now() / 1000);
        const dev = { deviceId: a.device.state.device_id, wgIp: a.device.state.wg_ip ?? '' } as Device;
        const old = await signWithGuardianKey(s, claims(s, dev, { iat: now - 1000, exp: now - 60 }));
        req = { ...req, headers: { ...req.headers, authorization: `Bearer ${old}` } };
      }
      return s.http.request(req);
    },
    tusUpload: (u) => s.http.tusUpload(u),
    close: async () => undefined,
  };
  const a: FieldClient = await s.device({ http: expiring });
  const p = await addPatient(a.device, {});
  for (let i = 0; i < 29; i++) await addSession(a.device, p, { i });
  await sync(a, { maxOps: 3, pull: false });
  assert.ok(a.api.stats.tokenRenewals >= 3, `renewed ${a.api.stats.tokenRenewals} time(s)`);
  await assertExactlyOnce(s, a, 30);
});

test('the sync server restarts in the middle of a sync: the client backs off, retries, and finishes', async (t) => {
  const port = s.sync.port;
  let pushes = 0;
  let restarted: Promise<void> | undefined;
  const restarting: HttpClient = {
    request: async (req) => {
      if (req.url.includes('/v1/sync/push') && ++pushes === 4) {
        const old = s.sync;
        await old.close();
        restarted = (async () => {
          await new Promise((r) => setTimeout(r, 600));
          s.sync = await startSyncServer({ settings: s.settings, log: createLogger('error'), db: s.t.db, guardianUrl: s.guardian.url, port });
          // The stack closes the server it started; this one is ours to close.
          const restartedServer = s.sync;
          t.after(() => restartedServer.close());
        })();
      }
      return s.http.request(req);
    },
    tusUpload: (u) => s.http.tusUpload(u),
    close: async () => undefined,
  };
  const a = await s.device({ http: restarting, retry: { attempts: 20, baseMs: 50, capMs: 400 } });
  const p = await addPatient(a.device, {});
  for (let i = 0; i < 39; i++) await addSession(a.device, p, { i });
  await sync(a, { maxOps: 5, pull: false });
  await restarted;
  assert.ok(a.api.stats.retries >= 1, 'the client had to retry');
  await assertExactlyOnce(s, a, 40);
});

test('one long sync meets both: expiring tokens throughout and a sync-server restart in the middle, pushing and pulling', async (t) => {
  const port = s.sync.port;
  let pushes = 0;
  let pulls = 0;
  let restarted: Promise<void> | undefined;
  // Tokens age by use: one that has been answered three times has expired (a
  // renewed token is fresh, as a real one would be).
  const uses = new Map<string, number>();
  const expired = async (dev: { device_id: string; wg_ip: string | null }) => {
    const now = Math.floor(Date.now() / 1000);
    return signWithGuardianKey(s, claims(s, { deviceId: dev.device_id, wgIp: dev.wg_ip ?? '' } as Device, { iat: now - 1000, exp: now - 60 }));
  };
  const restart = () => {
    const old = s.sync;
    return (async () => {
      await old.close();
      await new Promise((r) => setTimeout(r, 500));
      s.sync = await startSyncServer({ settings: s.settings, log: createLogger('error'), db: s.t.db, guardianUrl: s.guardian.url, port });
      const server = s.sync;
      t.after(() => server.close());
    })();
  };
  const hostile = (who: () => FieldClient): HttpClient => ({
    request: async (req) => {
      const isPush = req.url.includes('/v1/sync/push');
      const isPull = req.url.includes('/v1/sync/pull');
      if (isPush) pushes++;
      if (isPull) pulls++;
      // The server goes away at the 6th push and at the 3rd pull page, in the middle of each long sync.
      if ((isPush && pushes === 6) || (isPull && pulls === 3)) restarted = restart();
      const token = req.headers?.authorization ?? '';
      if ((isPush || isPull) && (uses.get(token) ?? 0) >= 3) {
        req = { ...req, headers: { ...req.headers, authorization: `Bearer ${await expired(who().device.state)}` } };
      }
      const res = await s.http.request(req);
      if (isPush || isPull) uses.set(token, (uses.get(token) ?? 0) + 1);
      return res;
    },
    tusUpload: (u) => s.http.tusUpload(u),
    close: async () => undefined,
  });
  const retry = { attempts: 20, baseMs: 50, capMs: 400 };
  const a: FieldClient = await s.device({ http: hostile(() => a), retry });
  const ids: string[] = [];
  for (let i = 0; i < 10; i++) ids.push(await addPatient(a.device, { n: i }));
  for (let i = 0; i < 40; i++) await addSession(a.device, ids[i % 10]!, { i });
  const img = new Uint8Array(60 * 1024);
  img.set([0xff, 0xd8, 0xff, 0xe0]);
  for (let i = 4; i < img.length; i++) img[i] = (i * 7) & 0xff;
  const att = await attach(a.device, ids[0]!, { bytes: img });
  await sync(a, { maxOps: 4, pull: false, tusThreshold: 16 * 1024, tusChunkSize: 8 * 1024 });
  await restarted;
  assert.ok(a.api.stats.tokenRenewals >= 3, `renewed ${a.api.stats.tokenRenewals} time(s)`);
  assert.ok(a.api.stats.retries >= 1, 'the restart cost retries');
  await assertExactlyOnce(s, a, 51);
  const files = await s.t.query<{ n: number }>('admin', 'SELECT count(*)::int AS n FROM nexus.files WHERE sha256 = $1', [att.sha256]);
  assert.equal(files[0]!.n, 1);

  // The other direction: a fresh device pulls it all in small pages through the same trouble.
  await s.settle();
  restarted = undefined;
  const b: FieldClient = await s.device({ http: hostile(() => b), retry });
  const r = await sync(b, { pullLimit: 5 });
  await restarted;
  assert.ok(r.pull.pages >= 10, `${r.pull.pages} pages`);
  // The first pull is the current state: every visible entity once (earlier tests' too), none twice, none stale.
  const [visible] = await s.t.query<{ n: number }>('admin', 'SELECT count(DISTINCT entity_id)::int AS n FROM mart_field.changes WHERE origin_device <> $1', [b.device.state.device_id]);
  assert.equal(r.pull.applied, visible!.n, 'every entity once');
  assert.equal(r.pull.stale, 0, 'nothing delivered twice');
  assert.ok(b.api.stats.tokenRenewals >= 2 && b.api.stats.retries >= 1, JSON.stringify(b.api.stats));
  for (const id of ids) assert.equal((await readMeta(b.device.fs, id)).versions[id]?.version, (await readMeta(a.device.fs, id)).versions[id]?.version);
});
