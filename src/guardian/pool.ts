// VPN addresses by role, from the plan in DESIGN.md §1 (gateway 10.10.0.1,
// servers .10–.19, dev machines .20–.29, field devices .100–.199). Only field
// devices are registered so far; the other roles join this table when the
// gate issue registers servers and dev machines.

import { NexusError } from '../core/errors.ts';
import type { Registry } from './store.ts';

export interface AddressPool {
  /** The first three octets, e.g. `10.10.0`. */
  prefix: string;
  first: number;
  last: number;
}

export const ADDRESS_POOLS = {
  field: { prefix: '10.10.0', first: 100, last: 199 },
  server: { prefix: '10.10.0', first: 10, last: 19 },
  dev: { prefix: '10.10.0', first: 20, last: 29 },
} as const satisfies Record<string, AddressPool>;

export type PoolName = keyof typeof ADDRESS_POOLS;

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
  const used = new Set(taken);
  for (let host = pool.first; host <= pool.last; host++) {
    const ip = `${pool.prefix}.${host}`;
    if (!used.has(ip)) return ip;
  }
  const size = pool.last - pool.first + 1;
  throw new NexusError(
    'address_pool_exhausted',
    `The ${poolName} address pool ${pool.prefix}.${pool.first}–${pool.last} is full (${size} addresses; revoked peers keep theirs until "nexus peer release <name>").`,
    { status: 409, extra: { pool: poolName, size } },
  );
}
