// Gate reachable: a real Guardian over real HTTPS at the gate address
// setting, trusted through our CA only. A gate whose certificate comes from
// another CA, or no gate at all, fails; `nexus up`'s in-process Guardian is
// the gate there.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { testDatabase } from '../helpers/db.ts';
import { scratch } from '../backup/helpers.ts';
import { checkContext } from '../../src/health/monitor.ts';
import { gateReachable, gateUrl } from '../../src/health/checks/gate.ts';
import { watchedEndpoints } from '../../src/health/endpoints.ts';
import { startGuardianServer } from '../../src/guardian/index.ts';
import { ensureTls, tlsDir } from '../../src/tls/index.ts';
import { createLogger } from '../../src/core/log.ts';
import { freePort } from '../../src/db/cluster.ts';
import type { Settings } from '../../src/core/settings.ts';

const t = await testDatabase();
const log = createLogger('silent');

/** The server's home (its CA) and, on the gate, Guardian's home with a certificate from `caFrom`'s CA. */
async function gate(caFrom: string) {
  const gateHome = scratch('gate');
  mkdirSync(tlsDir(gateHome), { recursive: true, mode: 0o700 });
  for (const f of ['ca.crt', 'ca.key']) cpSync(path.join(tlsDir(caFrom), f), path.join(tlsDir(gateHome), f));
  const settings: Settings = { ...t.settings, home: gateHome };
  return startGuardianServer({ settings, log, host: '127.0.0.1', port: 0 });
}

test('the gate answering with a certificate from our CA is reachable', async () => {
  const home = scratch('hgate');
  await ensureTls(home);
  const g = await gate(home);
  try {
    const settings: Settings = { ...t.settings, home, gateVpnAddress: '127.0.0.1', guardianPort: g.port };
    const ctx = checkContext(settings, t.db, watchedEndpoints(settings, {}));
    assert.equal(gateUrl(ctx), `https://127.0.0.1:${g.port}`);
    const r = await gateReachable(ctx);
    assert.equal(r.status, 'ok', r.message);
    assert.match(r.message, /the gate at https:\/\/127\.0\.0\.1:\d+ answered in \d+ ms/);
  } finally {
    await g.close();
  }
});

test('a gate serving a certificate from another CA fails, and says why', async () => {
  const home = scratch('hgate-ours');
  await ensureTls(home);
  const stranger = scratch('hgate-theirs');
  await ensureTls(stranger);
  const g = await gate(stranger);
  try {
    const settings: Settings = { ...t.settings, home, gateVpnAddress: '127.0.0.1', guardianPort: g.port };
    const r = await gateReachable(checkContext(settings, t.db, watchedEndpoints(settings, {})));
    assert.equal(r.status, 'fail');
    assert.match(r.message, /unreachable: .*certificate.*from our CA/);
  } finally {
    await g.close();
  }
});

test('no gate at the address fails; without our CA the check cannot judge and warns', async () => {
  const home = scratch('hgate-none');
  const dead = await freePort();
  const settings: Settings = { ...t.settings, home, gateVpnAddress: '127.0.0.1', guardianPort: dead };
  const noCa = await gateReachable(checkContext(settings, t.db, watchedEndpoints(settings, {})));
  assert.equal(noCa.status, 'warn');
  assert.match(noCa.message, /no CA at/);
  await ensureTls(home);
  const r = await gateReachable(checkContext(settings, t.db, watchedEndpoints(settings, {})));
  assert.equal(r.status, 'fail');
  assert.match(r.message, new RegExp(`the gate at https://127\\.0\\.0\\.1:${dead} is unreachable: .*ECONNREFUSED`));
});

test('under nexus up the in-process Guardian is the gate', () => {
  const e = watchedEndpoints({ ...t.settings, gateVpnAddress: '10.10.0.1', guardianPort: 8444 }, { guardian: 'https://127.0.0.1:4711' });
  assert.equal(e.gate, 'https://127.0.0.1:4711');
  assert.equal(watchedEndpoints({ ...t.settings, gateVpnAddress: '10.10.0.1', guardianPort: 8444 }, {}).gate, 'https://10.10.0.1:8444');
});
