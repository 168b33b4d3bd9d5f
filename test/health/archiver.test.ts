// WAL archiving into a full target: archiving fails, the health check says
// so, and once space returns every segment arrives, none missing. The full
// target is a tiny tmpfs when mount works here (root, CI); otherwise a
// folder the server's OS user may not write (reported in the test name).

import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmodSync, chownSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { archivingCluster } from '../backup/archiving-cluster.ts';
import { scratch } from '../backup/helpers.ts';
import { setupArchiving } from '../../src/backup/wal-setup.ts';
import { serverOsUser } from '../../src/backup/osuser.ts';
import { walArchiver } from '../../src/health/checks/archiver.ts';
import { checkContext } from '../../src/health/monitor.ts';
import type { CheckResult } from '../../src/health/types.ts';

const ac = await archivingCluster('walfull');
const target = path.join(scratch('walfull-target', false), 'small');
mkdirSync(target);
const owner = serverOsUser(ac.settings.pgOsUser);
let mode: 'tmpfs' | 'read-only folder' = 'tmpfs';
try {
  // Room for two 16 MiB segments, not three.
  execFileSync('mount', ['-t', 'tmpfs', '-o', `size=40m,mode=0750${owner ? `,uid=${owner.uid},gid=${owner.gid}` : ''}`, 'tmpfs', target], { stdio: 'ignore' });
  after(() => {
    execFileSync('umount', ['-l', target]);
    rmSync(path.dirname(target), { recursive: true, force: true });
  });
} catch {
  mode = 'read-only folder';
  after(() => rmSync(path.dirname(target), { recursive: true, force: true }));
  if (owner) chownSync(target, owner.uid, owner.gid);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const check = async () => (await walArchiver(checkContext(ac.settings, ac.db, {}))) as CheckResult;
const current = async () => (await ac.query<{ f: string }>('SELECT pg_walfile_name(pg_current_wal_insert_lsn()) AS f'))[0]!.f;
async function switchSegments(n: number): Promise<string> {
  let last = '';
  for (let i = 0; i < n; i++) {
    await ac.query("INSERT INTO nexus.t_wal (note) VALUES ('x')");
    last = await current();
    await ac.query('SELECT pg_switch_wal()');
  }
  return last;
}

test(`archiving into a full target fails, health sees it, nothing is lost once space returns (${mode})`, async () => {
  await ac.query('CREATE TABLE nexus.t_wal (id serial PRIMARY KEY, note text)');
  const r = await setupArchiving(ac.db, target, 60, ac.serverUser);
  assert.equal(r.restartNeeded, false); // archive_mode was on already; the command reloads
  const first = await current();
  if (mode === 'read-only folder') chmodSync(target, 0o555);
  const lastWritten = await switchSegments(4);
  let seen: CheckResult | undefined;
  for (let i = 0; i < 100 && seen?.status !== 'fail'; i++) {
    await sleep(300);
    seen = await check();
  }
  assert.equal(seen!.status, 'fail', seen!.message);
  assert.match(seen!.message, /failing since/);
  // Space returns.
  if (mode === 'tmpfs') execFileSync('mount', ['-o', 'remount,size=400m', target]);
  else chmodSync(target, 0o750);
  await switchSegments(1); // wakes the archiver, which otherwise waits up to a minute
  let ok: CheckResult | undefined;
  for (let i = 0; i < 150 && ok?.status !== 'ok'; i++) {
    await sleep(400);
    const st = (await ac.query<{ last: string | null }>('SELECT last_archived_wal AS last FROM pg_stat_archiver'))[0]!;
    if (st.last && st.last >= lastWritten) ok = await check();
  }
  assert.equal(ok?.status, 'ok', ok?.message);
  const archived = readdirSync(target).filter((n) => /^[0-9A-F]{24}$/.test(n)).sort();
  const pos = (n: string) => parseInt(n.slice(8), 16);
  assert.ok(archived.includes(first) && archived.includes(lastWritten));
  for (let p = pos(first); p <= pos(lastWritten); p++) {
    assert.ok(archived.some((n) => pos(n) === p), `segment at position ${p.toString(16)} is in the archive`);
  }
  const failed = (await ac.query<{ n: number }>('SELECT failed_count::int AS n FROM pg_stat_archiver'))[0]!.n;
  assert.ok(failed > 0, 'the archiver did fail while the target was full');
});
