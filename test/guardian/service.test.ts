// The `guardian` service as `nexus up` starts it: an HTTPS endpoint verified
// with the internal CA, no database needed, a taken port named clearly.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { readFileSync } from 'node:fs';
import { createLogger } from '../../src/core/log.ts';
import type { DbAccess } from '../../src/db/connection.ts';
import { guardianService, startGuardianServer } from '../../src/guardian/index.ts';
import { SERVICES } from '../../src/cli/services.ts';
import { caCertPath } from '../../src/tls/index.ts';
import { guardianSettings, request, tempHome } from './helpers.ts';

test('guardian is registered first and serves HTTPS at the endpoint it publishes, without a database', async () => {
  assert.equal(await SERVICES[0]!.load(), guardianService);
  const settings = guardianSettings(tempHome());
  const log = createLogger('silent');
  // The gate has no PostgreSQL: a service context without one must do.
  const running = await guardianService.start({ settings, log, db: undefined as unknown as DbAccess, endpoints: {} });
  try {
    const url = running.endpoints?.guardian;
    assert.match(url ?? '', /^https:\/\/127\.0\.0\.1:\d+$/);
    const res = await request(`${url}/guardian/v1/health`, 'GET', readFileSync(caCertPath(settings.home)));
    assert.equal(res.status, 200);
    assert.deepEqual(res.json, { status: 'ok', signing_key: 'present' });
  } finally {
    await running.stop();
  }
});

test('a taken port is port_in_use naming NEXUS_GUARDIAN_PORT', async () => {
  const blocker = net.createServer();
  await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
  try {
    const port = (blocker.address() as net.AddressInfo).port;
    const settings = guardianSettings(tempHome(), { NEXUS_GUARDIAN_PORT: String(port) });
    await assert.rejects(startGuardianServer({ settings, log: createLogger('silent') }), (err: Error & { code?: string; exitCode?: number }) => {
      assert.equal(err.code, 'port_in_use');
      assert.equal(err.exitCode, 2);
      assert.match(err.message, /NEXUS_GUARDIAN_PORT/);
      return true;
    });
  } finally {
    blocker.close();
  }
});
