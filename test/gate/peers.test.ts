// Peers and keys through the real CLI: addresses from each role's pool, keys
// given or made (private key shown once, as config and QR code, never
// stored), revocation keeps the address until it is released.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { nexus } from '../helpers/cli.ts';
import { gateSettings, tempDir, wgPubkey } from './helpers.ts';
import { addGatePeer, generateKeyPair } from '../../src/gate/index.ts';

const home = tempDir();
const env = { NEXUS_HOME: home, NEXUS_GATE_ENDPOINT: 'gate.example.org:51820' };
const registryText = (): string => readFileSync(path.join(home, 'guardian', 'registry.json'), 'utf8');
const privateKeyOf = (config: string): string => /^PrivateKey = (\S+)$/m.exec(config)![1]!;

test('peer add --role server|dev takes addresses from the role pools and makes a key pair shown once', async () => {
  const server = await nexus(['peer', 'add', 'nexus-server', '--role', 'server', '--json'], env);
  assert.equal(server.code, 0, server.stderr);
  const s = JSON.parse(server.stdout);
  assert.equal(s.wg_ip, '10.10.0.10');
  assert.equal(s.role, 'server');
  const priv = privateKeyOf(s.wireguard_config);
  assert.equal(wgPubkey(priv), s.public_key, 'the config holds the private key of the registered public key');
  assert.match(s.wireguard_config, /^Address = 10\.10\.0\.10\/32$/m);
  assert.match(s.wireguard_config, /^Endpoint = gate\.example\.org:51820$/m);
  assert.match(s.wireguard_config, /^DNS = 10\.10\.0\.1, home\.arpa$/m);
  const gatePub = /^PublicKey = (\S+)$/m.exec(s.wireguard_config)![1]!;
  assert.equal(wgPubkey(readFileSync(path.join(home, 'guardian', 'wg-gate.key'), 'utf8').trim()), gatePub);
  assert.ok(!registryText().includes(priv), 'the private key is never stored');

  const qr = path.join(home, 'dev.png');
  const dev = await nexus(['peer', 'add', 'laptop-anna', '--role', 'dev', '--qr', qr], env);
  assert.equal(dev.code, 0, dev.stderr);
  assert.match(dev.stdout, /VPN address 10\.10\.0\.20/);
  assert.match(dev.stdout, /shown only now/);
  assert.match(dev.stdout, /\u2584/, 'a terminal QR code');
  assert.deepEqual([...readFileSync(qr).subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  assert.equal(statSync(qr).mode & 0o777, 0o600);
  assert.ok(!registryText().includes(privateKeyOf(dev.stdout)));
});

test('a given public key is registered as is; no private key appears', async () => {
  const pair = generateKeyPair();
  const r = await nexus(['peer', 'add', 'build-box', '--role', 'dev', '--public-key', pair.publicKey, '--json'], env);
  assert.equal(r.code, 0, r.stderr);
  const p = JSON.parse(r.stdout);
  assert.equal(p.public_key, pair.publicKey);
  assert.equal(p.wg_ip, '10.10.0.21');
  assert.doesNotMatch(p.wireguard_config, /^PrivateKey/m);
  const list = await nexus(['peer', 'list'], env);
  assert.match(list.stdout, /build-box\s+dev\s+10\.10\.0\.21\s+active/);
});

test('bad input is bad usage (exit 2): role, key, taken name', async () => {
  const role = await nexus(['peer', 'add', 'x', '--role', 'field'], env);
  assert.equal(role.code, 2);
  assert.match(role.stderr, /role "field" is not valid/);
  const key = await nexus(['peer', 'add', 'y', '--role', 'dev', '--public-key', 'not-a-key'], env);
  assert.equal(key.code, 2);
  assert.match(key.stderr, /base64 of 32 bytes/);
  const taken = await nexus(['device', 'add', 'nexus-server'], env);
  assert.equal(taken.code, 2, 'device and peer names share one namespace');
  assert.ok(!registryText().includes('"y"'));
});

test('device add keeps its JSON shape and completes the WireGuard config (given key or made pair)', async () => {
  const r = await nexus(['device', 'add', 'ipad-1', '--json'], env);
  assert.equal(r.code, 0, r.stderr);
  const d = JSON.parse(r.stdout);
  assert.deepEqual(Object.keys(d).sort(), ['device_id', 'enrollment_code', 'name', 'wg_ip', 'wireguard_config']);
  assert.equal(d.wg_ip, '10.10.0.100');
  const priv = privateKeyOf(d.wireguard_config);
  const record = JSON.parse(registryText()).devices.find((x: { name: string }) => x.name === 'ipad-1');
  assert.equal(record.wg_public_key, wgPubkey(priv));
  assert.ok(!registryText().includes(priv));

  const pair = generateKeyPair();
  const given = await nexus(['device', 'add', 'ipad-2', '--public-key', pair.publicKey, '--json'], env);
  assert.equal(given.code, 0, given.stderr);
  assert.doesNotMatch(JSON.parse(given.stdout).wireguard_config, /^PrivateKey/m);
  assert.equal(JSON.parse(registryText()).devices.find((x: { name: string }) => x.name === 'ipad-2').wg_public_key, pair.publicKey);
});

test('a full pool is a clear error; a revoked peer keeps its address until released, then it is reused', async () => {
  // Filling the pool through the library (nine CLI starts would only cost time).
  for (let i = 1; i <= 9; i++) await addGatePeer(gateSettings(home), { name: `srv-${i}`, role: 'server' });
  const full = await nexus(['peer', 'add', 'srv-10', '--role', 'server', '--public-key', generateKeyPair().publicKey], env);
  assert.equal(full.code, 1);
  assert.match(full.stderr, /server address pool 10\.10\.0\.10–19 is full/);

  const notRevoked = await nexus(['peer', 'release', 'srv-3'], env);
  assert.equal(notRevoked.code, 2);
  assert.match(notRevoked.stderr, /revoke it first/);
  assert.equal((await nexus(['peer', 'revoke', 'srv-3'], env)).code, 0);
  await assert.rejects(addGatePeer(gateSettings(home), { name: 'srv-10', role: 'server' }), { code: 'address_pool_exhausted' }, 'revoked keeps its address');
  const released = await nexus(['peer', 'release', 'srv-3'], env);
  assert.equal(released.code, 0, released.stderr);
  assert.match(released.stdout, /^released: 10\.10\.0\.13 \(peer srv-3\)/);
  const reused = await nexus(['peer', 'add', 'srv-10', '--role', 'server', '--public-key', generateKeyPair().publicKey, '--json'], env);
  assert.equal(reused.code, 0, reused.stderr);
  assert.equal(JSON.parse(reused.stdout).wg_ip, '10.10.0.13');

  // Field devices are released the same way.
  assert.equal((await nexus(['device', 'revoke', 'ipad-1'], env)).code, 0);
  assert.match((await nexus(['peer', 'release', 'ipad-1'], env)).stdout, /^released: 10\.10\.0\.100 \(device ipad-1\)/);
  assert.equal(JSON.parse((await nexus(['device', 'add', 'ipad-3', '--json'], env)).stdout).wg_ip, '10.10.0.100');
  assert.equal((await nexus(['peer', 'release', 'nobody'], env)).code, 1);
});
