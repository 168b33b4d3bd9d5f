// A wider VPN network (NEXUS_VPN_NETWORK, NEXUS_GATE_FIELD_POOL): the plan is
// checked once with a clear exit-2 error, field devices get addresses past
// one /24, and the rendered files follow the network.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { nexus } from '../helpers/cli.ts';
import { gateSettings, tempDir } from './helpers.ts';
import { loadSettings } from '../../src/core/settings.ts';
import { addGateDevice, addGatePeer, gateConfig, renderGate } from '../../src/gate/index.ts';

const WIDE = { NEXUS_VPN_NETWORK: '10.10.0.0/21', NEXUS_GATE_FIELD_POOL: '10.10.0.254-10.10.7.254' };

test('malformed network or range values are invalid_setting with exit 2', () => {
  for (const [name, value] of [
    ['NEXUS_VPN_NETWORK', '10.10.0.1/24'],
    ['NEXUS_VPN_NETWORK', '10.10.0.0'],
    ['NEXUS_VPN_NETWORK', '10.10.0.0/31'],
    ['NEXUS_GATE_FIELD_POOL', '10.10.0.199-10.10.0.100'],
    ['NEXUS_GATE_FIELD_POOL', '10.10.0.100'],
    ['NEXUS_GATE_FIELD_POOL', '10.10.0.100-10.10.0.300'],
  ] as const) {
    assert.throws(() => loadSettings({ [name]: value }), (err: Error & { code?: string; exitCode?: number }) => {
      assert.equal(err.code, 'invalid_setting');
      assert.equal(err.exitCode, 2);
      assert.match(err.message, new RegExp(`^${name}: "${value.replace(/[.]/g, '\\.')}" is not valid`));
      return true;
    });
  }
  assert.equal(loadSettings({}).gateFieldPool, '10.10.0.100-10.10.0.199');
  assert.equal(loadSettings({}).vpnNetwork, '10.10.0.0/24');
});

test('a pool outside the network, over the server/dev pools or the gate address is refused with exit 2', () => {
  const refused = (env: Record<string, string>, message: RegExp): void => {
    assert.throws(() => gateConfig(gateSettings(tempDir(), env)), (err: Error & { code?: string; exitCode?: number }) => {
      assert.equal(err.code, 'invalid_setting');
      assert.equal(err.exitCode, 2);
      assert.match(err.message, message);
      return true;
    });
  };
  refused({ NEXUS_GATE_FIELD_POOL: '10.10.0.100-10.10.1.20' }, /NEXUS_GATE_FIELD_POOL: 10\.10\.0\.100-10\.10\.1\.20 is not inside NEXUS_VPN_NETWORK 10\.10\.0\.0\/24/);
  refused({ NEXUS_GATE_FIELD_POOL: '10.10.0.100-10.10.0.255' }, /is not inside NEXUS_VPN_NETWORK/);
  refused({ NEXUS_GATE_FIELD_POOL: '10.10.0.15-10.10.0.99' }, /overlaps the server pool 10\.10\.0\.10–19/);
  refused({ NEXUS_GATE_FIELD_POOL: '10.10.0.25-10.10.0.99' }, /overlaps the dev pool 10\.10\.0\.20–29/);
  refused({ NEXUS_GATE_FIELD_POOL: '10.10.0.1-10.10.0.9' }, /holds the gate address 10\.10\.0\.1/);
  refused({ NEXUS_VPN_NETWORK: '10.10.8.0/21', NEXUS_GATE_FIELD_POOL: '10.10.8.100-10.10.8.199' }, /NEXUS_GATE_VPN_ADDRESS: 10\.10\.0\.1 is not inside[\s\S]*does not hold the server pool/);
  assert.deepEqual(gateConfig(gateSettings(tempDir(), WIDE)).fieldPool, { start: 168427774, end: 168429566 });
});

test('a wide network: devices get addresses across /24s, files follow the network, defaults elsewhere', async () => {
  const home = tempDir();
  const settings = gateSettings(home, WIDE);
  await addGatePeer(settings, { name: 'nexus-server', role: 'server' });
  const a = await addGateDevice(settings, { name: 'ipad-a', groups: [] });
  const b = await addGateDevice(settings, { name: 'ipad-b', groups: [] });
  const c = await addGateDevice(settings, { name: 'ipad-c', groups: [] });
  assert.deepEqual([a, b, c].map((d) => d.device.wg_ip), ['10.10.0.254', '10.10.0.255', '10.10.1.0']);
  assert.match(a.config, /^AllowedIPs = 10\.10\.0\.0\/21$/m);
  assert.match(a.config, /^Address = 10\.10\.0\.254\/32$/m);

  const out = tempDir();
  await renderGate(gateConfig(settings), out, { node: process.execPath });
  const wg = readFileSync(path.join(out, 'etc/wireguard/wg0.conf'), 'utf8');
  assert.match(wg, /^Address = 10\.10\.0\.1\/21$/m);
  assert.match(wg, /^AllowedIPs = 10\.10\.1\.0\/32$/m);
  assert.match(readFileSync(path.join(out, 'clients/nexus-server.conf'), 'utf8'), /^AllowedIPs = 10\.10\.0\.0\/21$/m);
  const ufw = readFileSync(path.join(out, 'usr/local/lib/nexus-gate/ufw-gate.sh'), 'utf8');
  assert.match(ufw, /^# field peers \(10\.10\.0\.254\/31 10\.10\.1\.0\/24 10\.10\.2\.0\/23 10\.10\.4\.0\/23 10\.10\.6\.0\/24 10\.10\.7\.0\/25 10\.10\.7\.128\/26 10\.10\.7\.192\/27 10\.10\.7\.224\/28 10\.10\.7\.240\/29 10\.10\.7\.248\/30 10\.10\.7\.252\/31 10\.10\.7\.254\/32\) to the gate$/m);
  assert.match(ufw, /^ufw route allow in on wg0 out on wg0 from 10\.10\.2\.0\/23 to 10\.10\.0\.10 port 8443 proto tcp/m);
  assert.match(ufw, /^# server peers \(10\.10\.0\.10\/31 10\.10\.0\.12\/30 10\.10\.0\.16\/30\) to the gate$/m, 'server pool unchanged');
});

test('the CLI stops with exit 2 and names the problem when the address plan is wrong', async () => {
  const r = await nexus(['device', 'add', 'ipad-1'], { NEXUS_HOME: tempDir(), NEXUS_GATE_FIELD_POOL: '10.10.0.10-10.10.0.50' });
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /overlaps the server pool 10\.10\.0\.10–19/);
  assert.doesNotMatch(r.stderr, /at .*\.ts:\d+/, 'no stack trace');
});
