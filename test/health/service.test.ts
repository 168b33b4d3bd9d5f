// The health service as `nexus up` starts it: /healthz and /metrics over
// HTTPS with the platform's CA; and `nexus health check` from the CLI.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import https from 'node:https';
import path from 'node:path';
import { readFileSync } from 'node:fs';
import { testDatabase, testHome } from '../helpers/db.ts';
import { scratch } from '../backup/helpers.ts';
import { healthService } from '../../src/health/service.ts';
import { caCertPath } from '../../src/tls/index.ts';
import { createLogger } from '../../src/core/log.ts';
import { nexus } from '../helpers/cli.ts';
import { clusterSettingsEnv } from '../helpers/cluster-env.ts';
import { freePort } from '../../src/db/cluster.ts';
import type { Settings } from '../../src/core/settings.ts';

const t = await testDatabase();

function get(url: string, ca: Buffer): Promise<{ status: number; type: string; body: string }> {
  return new Promise((resolve, reject) => {
    https
      .get(url, { ca }, (res) => {
        let body = '';
        res.on('data', (d) => (body += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, type: String(res.headers['content-type']), body }));
      })
      .on('error', reject);
  });
}

test('the service serves /healthz and /metrics over HTTPS and records its rounds', async () => {
  const home = scratch('hsvc');
  // No gate answers at this address: that check fails, so the whole is 503.
  const settings: Settings = { ...t.settings, home, backupDir: path.join(home, 'nas'), healthPort: 0, gateVpnAddress: '127.0.0.1', guardianPort: await freePort() };
  const svc = await healthService.start({ settings, log: createLogger('silent'), db: t.db, endpoints: {} });
  try {
    const url = svc.endpoints!.health!;
    assert.match(url, /^https:\/\/127\.0\.0\.1:\d+$/);
    const ca = readFileSync(caCertPath(home));
    let hz = await get(`${url}/healthz`, ca);
    for (let i = 0; i < 50 && hz.status === 503 && JSON.parse(hz.body).status === 'starting'; i++) {
      await new Promise((r) => setTimeout(r, 100));
      hz = await get(`${url}/healthz`, ca);
    }
    const body = JSON.parse(hz.body) as { status: string; checks: Array<{ name: string; status: string }> };
    assert.equal(hz.status, 503);
    assert.equal(body.status, 'fail');
    assert.equal(body.checks.find((c) => c.name === 'gate_reachable')?.status, 'fail');
    // No dump was ever made in this fresh database: the first is not due yet, so it warns.
    assert.equal(body.checks.find((c) => c.name === 'backup_dump')?.status, 'warn');
    assert.equal(body.checks.find((c) => c.name === 'database')?.status, 'ok');
    const m = await get(`${url}/metrics`, ca);
    assert.equal(m.status, 200);
    assert.match(m.type, /^text\/plain/);
    assert.match(m.body, /^nexus_health_check_status\{check="database"\} 0$/m);
    assert.match(m.body, /^nexus_health_check_status\{check="backup_dump"\} 1$/m);
    assert.match(m.body, /^nexus_health_check_status\{check="gate_reachable"\} 2$/m);
    assert.match(m.body, /^nexus_health_check_value\{check="disk_home"\} \d+/m);
    const stored = await t.query('nexus_etl', "SELECT status FROM nexus.health_state WHERE check_name = 'backup_dump'");
    assert.deepEqual(stored, [{ status: 'warn' }]);
  } finally {
    await svc.stop();
  }
});

test('nexus health check prints every check and exits 1 when one fails', async () => {
  const env = { ...clusterSettingsEnv(testHome(), t.name), NEXUS_BACKUP_DIR: path.join(scratch('hcli'), 'nas'), NEXUS_GATE_VPN_ADDRESS: '127.0.0.1', NEXUS_GUARDIAN_PORT: String(await freePort()) };
  const r = await nexus(['health', 'check', '--json'], env);
  assert.equal(r.code, 1, r.stderr);
  const out = JSON.parse(r.stdout) as { status: string; checks: Array<{ name: string }> };
  assert.equal(out.status, 'fail');
  for (const name of ['database', 'connections', 'long_transactions', 'wal_archiver', 'replication', 'disk_home', 'disk_backup', 'backup_dump', 'tls_certificate', 'gate_reachable']) {
    assert.ok(out.checks.some((c) => c.name === name), `check ${name} reported`);
  }
  const text = await nexus(['health', 'check'], env);
  assert.match(text.stdout, /^ok\s+database\s+PostgreSQL at/m);
  assert.match(text.stdout, /overall: fail$/m);
});

test('nexus health check reports a database that is down as a failed check', async () => {
  const home = path.join(scratch('hdown'), 'home');
  const r = await nexus(['health', 'check', '--json'], { NEXUS_HOME: home });
  assert.equal(r.code, 1, r.stderr);
  const out = JSON.parse(r.stdout) as { status: string; checks: Array<{ name: string; status: string; message: string }> };
  assert.deepEqual(out.checks.map((c) => [c.name, c.status]), [['database', 'fail']]);
  assert.match(out.checks[0]!.message, /not running/);
});
