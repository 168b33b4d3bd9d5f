// Crash safety of push: the real `nexus sync` in a child process is killed
// with SIGKILL while a large push is in flight, restarted, and the device
// resends. Every op must end up stored exactly once, and the resend must see
// the batch either wholly applied (it had committed) or not at all.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { startNexus } from '../helpers/cli.ts';
import { secretsFile } from '../../src/db/secrets.ts';
import { startStack, enrolDevice, request, auth, makeOp, countRows, testHome, type Stack } from './stack.ts';

const s: Stack = await startStack();

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
    srv.on('error', reject);
  });
}

test('SIGKILL mid-push, restart, resend: every op stored exactly once', { timeout: 180_000 }, async () => {
  // The child reaches the test database as an external one (DATABASE_URL) with the run's role passwords.
  mkdirSync(path.dirname(secretsFile(s.home)), { recursive: true });
  copyFileSync(secretsFile(testHome()), secretsFile(s.home));
  const port = await freePort();
  const base = `https://127.0.0.1:${port}`;
  const env = {
    NEXUS_HOME: s.home,
    DATABASE_URL: s.t.db.url('admin'),
    NEXUS_GUARDIAN_URL: s.guardian.url,
    NEXUS_SYNC_PORT: String(port),
    NEXUS_FILES_DIR: path.join(s.home, 'files'),
    NEXUS_LOG_LEVEL: 'warn',
  };
  const d = await enrolDevice(s);
  const watcher = await s.t.db.connect('admin');
  const untilPushTransaction = async (inflight: Promise<unknown>) => {
    let done = false;
    void inflight.finally(() => (done = true));
    while (!done) {
      const { rows } = await watcher.query(
        `SELECT 1 FROM pg_stat_activity WHERE usename = 'nexus_sync' AND datname = current_database() AND xact_start IS NOT NULL AND state <> 'idle'`,
      );
      if (rows.length) return;
    }
  };
  const start = async () => {
    const child = startNexus(['sync'], env);
    const t0 = Date.now();
    while (Date.now() - t0 < 30_000) {
      const ok = await request(s, base, 'GET', '/v1/parameters', { headers: auth(d.token) }).then((r) => r.status === 200, () => false);
      if (ok) return child;
      if (child.exitCode !== null) throw new Error(`nexus sync exited: ${child.output()}`);
      await sleep(100);
    }
    throw new Error(`nexus sync did not come up: ${child.output()}`);
  };

  let child = await start();
  let seq = 1;
  const outcomes: string[] = [];
  try {
    // Timed kills (body still streaming, or being judged) and kills at the moment the
    // push transaction is open in PostgreSQL (seen in pg_stat_activity).
    for (const when of [0, 40, 120, 'in-transaction', 'in-transaction', 'in-transaction'] as const) {
      const batch = Array.from({ length: 500 }, (_, i) => makeOp(seq + i, { payload: { pad: 'p'.repeat(8_000), i } }));
      const inflight = request(s, base, 'POST', '/v1/sync/push', { headers: auth(d.token), json: { ops: batch } }).then((r) => r.status, () => 'cut');
      if (when === 'in-transaction') await untilPushTransaction(inflight);
      else await sleep(when);
      child.kill('SIGKILL');
      const first = await inflight;
      await new Promise((resolve) => (child.exitCode !== null || child.signalCode !== null ? resolve(null) : child.once('exit', resolve)));
      child = await start();
      const resend = await request(s, base, 'POST', '/v1/sync/push', { headers: auth(d.token), json: { ops: batch } });
      assert.equal(resend.status, 200, resend.text);
      const kinds = new Set(resend.json.results.map((r: { status: string }) => r.status));
      assert.equal(kinds.size, 1, `a batch is all or nothing, got ${[...kinds]}`);
      outcomes.push(`${when}: first ${first}, resend ${[...kinds][0]}`);
      seq += batch.length;
      assert.equal(resend.json.last_seq, seq - 1);
      assert.equal(await countRows(s, d.deviceId), seq - 1);
    }
  } finally {
    child.kill('SIGKILL');
    await watcher.end();
  }
  const dup = await s.t.query<{ n: number }>('admin', 'SELECT count(*)::int AS n FROM (SELECT seq FROM staging.sync_inbound WHERE device_id = $1 GROUP BY seq HAVING count(*) > 1) x', [d.deviceId]);
  assert.equal(dup[0]!.n, 0);
  process.stderr.write(`kill test: ${outcomes.join('; ')}\n`);
  assert.ok(outcomes.some((o) => o.includes('first cut')), 'at least one push was cut off by the kill');
  assert.ok(outcomes.some((o) => o.startsWith('in-transaction: first cut')), 'at least one kill hit an open push transaction');
});
