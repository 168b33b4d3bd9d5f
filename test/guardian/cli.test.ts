// The device commands as an administrator runs them: real `nexus` processes.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { nexus } from '../helpers/cli.ts';
import { tempHome } from './helpers.ts';

const home = tempHome();
const env = { NEXUS_HOME: home, NEXUS_GATE_ENDPOINT: 'gate.example.home.arpa:51820' };

test('device add --json prints id, name, address, enrolment code and a WireGuard config', async () => {
  const r = await nexus(['device', 'add', 'ipad-ward-1', '--group', 'north', '--group', 'south', '--json'], env);
  assert.equal(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout);
  assert.deepEqual(Object.keys(out).sort(), ['device_id', 'enrollment_code', 'name', 'wg_ip', 'wireguard_config']);
  assert.match(out.device_id, /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
  assert.equal(out.name, 'ipad-ward-1');
  assert.equal(out.wg_ip, '10.10.0.100');
  assert.match(out.enrollment_code, /^[0-9A-Z]{4}(-[0-9A-Z]{4}){4}$/);
  const wg: string = out.wireguard_config;
  assert.match(wg, /^\[Interface\]$/m);
  assert.match(wg, /^Address = 10\.10\.0\.100\/32$/m);
  assert.match(wg, /^\[Peer\]$/m);
  assert.match(wg, /^Endpoint = gate\.example\.home\.arpa:51820$/m);

  const list = await nexus(['device', 'list', '--json'], env);
  assert.equal(list.code, 0, list.stderr);
  const devices = JSON.parse(list.stdout);
  assert.equal(devices.length, 1);
  assert.deepEqual(devices[0].groups, ['north', 'south']);
  assert.equal(devices[0].status, 'pending');
  assert.ok(!list.stdout.includes('code_sha256') && !list.stdout.includes(out.enrollment_code));
});

test('device list (text), revoke, and revoke again', async () => {
  const added = await nexus(['device', 'add', 'ipad-ward-2'], env);
  assert.equal(added.code, 0, added.stderr);
  assert.match(added.stdout, /enrolment code/);
  const list = await nexus(['device', 'list'], env);
  assert.match(list.stdout, /ipad-ward-2\s+10\.10\.0\.101\s+pending/);
  const revoked = await nexus(['device', 'revoke', 'ipad-ward-2'], env);
  assert.equal(revoked.code, 0, revoked.stderr);
  assert.match(revoked.stdout, /^revoked: ipad-ward-2/);
  assert.match((await nexus(['device', 'revoke', 'ipad-ward-2'], env)).stdout, /^already revoked/);
  assert.match((await nexus(['device', 'list'], env)).stdout, /ipad-ward-2\s+10\.10\.0\.101\s+revoked/);
});

test('mistakes: a bad name or a taken name is bad usage (exit 2); an unknown device is an error (exit 1)', async () => {
  const bad = await nexus(['device', 'add', 'no spaces please', '--json'], env);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /not valid/);
  assert.equal(bad.stdout, '');
  const taken = await nexus(['device', 'add', 'IPAD-WARD-1'], env);
  assert.equal(taken.code, 2);
  assert.match(taken.stderr, /already exists/);
  const unknown = await nexus(['device', 'revoke', 'nobody'], env);
  assert.equal(unknown.code, 1);
  assert.match(unknown.stderr, /No device named "nobody"/);
});

test('rotate-key prints the new key', async () => {
  const r = await nexus(['guardian', 'rotate-key'], env);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^new signing key: [A-Za-z0-9_-]{43}$/m);
});
