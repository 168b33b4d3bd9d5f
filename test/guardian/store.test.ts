// The registry on disk: addresses from the pool (revoked ones stay reserved,
// a full pool is a clear error), atomic writes and the cross-process lock
// under concurrent `nexus device add`, stale lock recovery, file modes.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync, utimesSync, writeFileSync, mkdirSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { hostname } from 'node:os';
import path from 'node:path';
import { addDevice, allocateAddress, ADDRESS_POOLS, ensureSigningKey, ipNumber, keysPath, readRegistry, registryPath, revokeDevice } from '../../src/guardian/index.ts';
import { withLock } from '../../src/core/lock.ts';
import { lockPath, guardianDir } from '../../src/guardian/store.ts';
import { nexus } from '../helpers/cli.ts';
import { tempHome } from './helpers.ts';

const add = (home: string, name: string) => addDevice(home, { name, enrollmentTtlHours: 24 });

test('addresses: lowest free in the field pool; a revoked device keeps its address', async () => {
  const home = tempHome();
  const a = await add(home, 'a');
  const b = await add(home, 'b');
  assert.deepEqual([a.device.wg_ip, b.device.wg_ip], ['10.10.0.100', '10.10.0.101']);
  await revokeDevice(home, 'a');
  const c = await add(home, 'c');
  assert.equal(c.device.wg_ip, '10.10.0.102');
  assert.equal(allocateAddress(['10.10.0.10', '10.10.0.12'], ADDRESS_POOLS.server), '10.10.0.11');
});

test('a full pool is address_pool_exhausted, and nothing is written', async () => {
  const home = tempHome();
  for (let i = 0; i < 100; i++) await add(home, `field-${i}`);
  const before = readFileSync(registryPath(home), 'utf8');
  const devices = readRegistry(home).devices;
  assert.equal(new Set(devices.map((d) => d.wg_ip)).size, 100);
  assert.equal(devices.at(-1)!.wg_ip, '10.10.0.199');
  await assert.rejects(add(home, 'one-too-many'), (err: Error & { code?: string; status?: number }) => {
    assert.equal(err.code, 'address_pool_exhausted');
    assert.equal(err.status, 409);
    assert.match(err.message, /10\.10\.0\.100–199 is full/);
    return true;
  });
  assert.equal(readFileSync(registryPath(home), 'utf8'), before);
  // A small pool, the allocator alone.
  assert.throws(() => allocateAddress(['10.9.9.1', '10.9.9.2'], { start: ipNumber('10.9.9.1'), end: ipNumber('10.9.9.2') }, 'tiny'), { code: 'address_pool_exhausted' });
});

test('10 parallel `nexus device add` processes: 10 devices, 10 distinct addresses, valid JSON, no temp files', async () => {
  const home = tempHome();
  const results = await Promise.all(Array.from({ length: 10 }, (_, i) => nexus(['device', 'add', `para-${i}`, '--json'], { NEXUS_HOME: home })));
  for (const r of results) assert.equal(r.code, 0, r.stderr);
  const printed = results.map((r) => JSON.parse(r.stdout) as { wg_ip: string; device_id: string });
  assert.equal(new Set(printed.map((p) => p.wg_ip)).size, 10);
  const registry = JSON.parse(readFileSync(registryPath(home), 'utf8')) as { devices: Array<{ wg_ip: string; device_id: string }> };
  assert.equal(registry.devices.length, 10);
  assert.deepEqual(new Set(registry.devices.map((d) => d.wg_ip)), new Set(printed.map((p) => p.wg_ip)));
  // wg-gate.key: the gate's WireGuard key, made once (under the lock) by the first `device add`.
  assert.deepEqual(readdirSync(guardianDir(home)).sort(), ['registry.json', 'wg-gate.key']);
});

test('in-process concurrency: 20 parallel adds in one process, all kept', async () => {
  const home = tempHome();
  await Promise.all(Array.from({ length: 20 }, (_, i) => add(home, `inproc-${i}`)));
  const devices = readRegistry(home).devices;
  assert.equal(devices.length, 20);
  assert.equal(new Set(devices.map((d) => d.wg_ip)).size, 20);
});

test('a lock left by a dead process is broken; a live holder makes others wait, then time out', async () => {
  const home = tempHome();
  mkdirSync(guardianDir(home), { recursive: true });
  const dead = spawnSync(process.execPath, ['-e', '']).pid!;
  writeFileSync(lockPath(home), JSON.stringify({ pid: dead, host: hostname(), token: 'crashed' }));
  await add(home, 'after-crash');
  assert.equal(readRegistry(home).devices.length, 1);

  // A live holder (this process, from the file's point of view) that is fresh: wait, then store_locked.
  const lock = path.join(home, 'held.lock');
  writeFileSync(lock, JSON.stringify({ pid: process.pid, host: hostname(), token: 'held' }));
  await assert.rejects(withLock(lock, () => 1, { timeoutMs: 200 }), { code: 'store_locked' });
  // The same lock, too old to be real: broken.
  const old = new Date(Date.now() - 120_000);
  utimesSync(lock, old, old);
  assert.equal(await withLock(lock, () => 42, { staleMs: 60_000 }), 42);
  assert.throws(() => statSync(lock), { code: 'ENOENT' });
});

test('registry and keys are private (0600) and valid JSON', async () => {
  const home = tempHome();
  await add(home, 'private');
  await ensureSigningKey(home);
  for (const f of [registryPath(home), keysPath(home)]) {
    assert.equal(statSync(f).mode & 0o777, 0o600, f);
    JSON.parse(readFileSync(f, 'utf8'));
  }
  assert.equal(statSync(guardianDir(home)).mode & 0o777, 0o700);
});

test('a damaged registry is reported, not overwritten', async () => {
  const home = tempHome();
  await add(home, 'x');
  writeFileSync(registryPath(home), '{"format": 1, "devi');
  await assert.rejects(add(home, 'y'), { code: 'store_corrupt' });
  assert.equal(readFileSync(registryPath(home), 'utf8'), '{"format": 1, "devi');
});
