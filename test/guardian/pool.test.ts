// Address pools as integer ranges: allocation crosses /24 boundaries, the
// minimal CIDR cover UFW needs.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ADDRESS_POOLS, allocateAddress, describeRange, ipNumber, rangeCidrs } from '../../src/guardian/index.ts';

test('the default pools are the plan of issue #6, as ranges', () => {
  assert.deepEqual(rangeCidrs(ADDRESS_POOLS.field), ['10.10.0.100/30', '10.10.0.104/29', '10.10.0.112/28', '10.10.0.128/26', '10.10.0.192/29']);
  assert.deepEqual(rangeCidrs(ADDRESS_POOLS.server), ['10.10.0.10/31', '10.10.0.12/30', '10.10.0.16/30']);
  assert.deepEqual(rangeCidrs(ADDRESS_POOLS.dev), ['10.10.0.20/30', '10.10.0.24/30', '10.10.0.28/31']);
  assert.equal(describeRange(ADDRESS_POOLS.field), '10.10.0.100–199');
});

test('a range across several /24s is covered by the fewest CIDR blocks', () => {
  const r = { start: ipNumber('10.10.0.100'), end: ipNumber('10.10.7.255') };
  assert.deepEqual(rangeCidrs(r), ['10.10.0.100/30', '10.10.0.104/29', '10.10.0.112/28', '10.10.0.128/25', '10.10.1.0/24', '10.10.2.0/23', '10.10.4.0/22']);
  assert.deepEqual(rangeCidrs({ start: ipNumber('10.10.0.0'), end: ipNumber('10.10.15.255') }), ['10.10.0.0/20']);
  assert.deepEqual(rangeCidrs({ start: ipNumber('10.10.0.255'), end: ipNumber('10.10.1.0') }), ['10.10.0.255/32', '10.10.1.0/32']);
  assert.deepEqual(rangeCidrs({ start: 0, end: 2 ** 32 - 1 }), ['0.0.0.0/0']);
  assert.equal(describeRange(r), '10.10.0.100–10.10.7.255');
});

test('allocation crosses a /24 boundary and skips taken addresses on both sides', () => {
  const pool = { start: ipNumber('10.10.0.253'), end: ipNumber('10.10.1.2') };
  assert.equal(allocateAddress(['10.10.0.253', '10.10.0.254'], pool), '10.10.0.255');
  assert.equal(allocateAddress(['10.10.0.253', '10.10.0.254', '10.10.0.255'], pool), '10.10.1.0');
  assert.equal(allocateAddress(['10.10.0.253', '10.10.0.254', '10.10.0.255', '10.10.1.0'], pool), '10.10.1.1');
  assert.throws(
    () => allocateAddress(['10.10.0.253', '10.10.0.254', '10.10.0.255', '10.10.1.0', '10.10.1.1', '10.10.1.2'], pool),
    (err: Error & { code?: string }) => err.code === 'address_pool_exhausted' && /10\.10\.0\.253–10\.10\.1\.2 is full \(6 addresses/.test(err.message),
  );
});
