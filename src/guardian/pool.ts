// VPN addresses by role, from the plan in DESIGN.md §1 (gateway 10.10.0.1,
// servers .10–.19, dev machines .20–.29, field devices .100–.199). The field
// pool can grow past one /24 (NEXUS_GATE_FIELD_POOL, checked in
// src/gate/config.ts), so pools are ranges of integer addresses.

import { NexusError } from '../core/errors.ts';
import type { Registry } from './store.ts';

/** Addresses as integers, both ends included: a range may span several /24s. */
export interface IpRange {
  start: number;
  end: number;
}

export type AddressPool = IpRange;

/** `a.b.c.first`–`a.b.c.last`: the plan's pools, written as DESIGN.md §1 writes them. */
const inSlash24 = (prefix: string, first: number, last: number): IpRange => {
  const base = ipNumber(`${prefix}.0`);
  return { start: base + first, end: base + last };
};

export const ADDRESS_POOLS = {
  field: inSlash24('10.10.0', 100, 199),
  server: inSlash24('10.10.0', 10, 19),
  dev: inSlash24('10.10.0', 20, 29),
} as const satisfies Record<string, AddressPool>;

export type PoolName = keyof typeof ADDRESS_POOLS;

export function ipNumber(ip: string): number {
  return ip.split('.').reduce((n, o) => n * 256 + Number(o), 0);
}

export function ipString(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

/** `10.10.0.100–199` within one /24 (as before), `10.10.0.100–10.10.7.255` across several. */
export function describeRange(r: IpRange): string {
  const a = ipString(r.start);
  return Math.floor(r.start / 256) === Math.floor(r.end / 256) ? `${a}–${r.end % 256}` : `${a}–${ipString(r.end)}`;
}

/** The smallest set of CIDR blocks covering a range: UFW speaks CIDR, the pools are ranges. */
export function rangeCidrs(r: IpRange): string[] {
  const out: string[] = [];
  let host = r.start;
  while (host <= r.end) {
    let size = 1;
    while (size < 2 ** 32 && host % (size * 2) === 0 && host + size * 2 - 1 <= r.end) size *= 2;
    out.push(`${ipString(host)}/${32 - Math.log2(size)}`);
    host += size;
  }
  return out;
}

/**
 * Every address on record that has not been released explicitly: revoked
 * devices and peers keep theirs until `nexus peer release`.
 */
export function takenAddresses(registry: Registry): string[] {
  return [...registry.devices, ...(registry.peers ?? [])].filter((r) => !r.released_at).map((r) => r.wg_ip);
}

/**
 * The lowest free address of the pool. `taken` holds every address on
 * record, revoked devices included: a revoked device's address stays
 * reserved so that stale peers, firewall rules and logs never point at a new
 * device.
 */
export function allocateAddress(taken: Iterable<string>, pool: AddressPool, poolName = 'field'): string {
  const used = new Set([...taken].map(ipNumber));
  for (let n = pool.start; n <= pool.end; n++) {
    if (!used.has(n)) return ipString(n);
  }
  const size = pool.end - pool.start + 1;
  throw new NexusError(
    'address_pool_exhausted',
    `The ${poolName} address pool ${describeRange(pool)} is full (${size} addresses; revoked peers keep theirs until "nexus peer release <name>"; a larger field pool: NEXUS_GATE_FIELD_POOL, docs/gate.md).`,
    { status: 409, extra: { pool: poolName, size } },
  );
}
