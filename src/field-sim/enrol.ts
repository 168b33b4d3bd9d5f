// Enrolling the fleet, and retiring it afterwards.
//
// Simulated devices never join the VPN: they run on the server (or next to
// it) and talk to Guardian and nexus-sync directly, so they must not take
// the field pool's 100 WireGuard addresses (10.10.0.100–.199), which real
// iPads need. They get addresses from 198.18.0.0/15 instead, the range
// RFC 2544 reserves for benchmarking: never routed, never a WireGuard peer
// (a simulated device has no public key, so the gate skips it), and with
// 512 blocks of 254 addresses it holds any fleet we can run. The address is
// still on the token (`wg_ip`), so a server that checks source addresses
// (NEXUS_CHECK_SOURCE_ADDRESS) refuses simulated devices, as it should.
//
// A run revokes its devices and releases their addresses at the end (unless
// asked to keep them): their secrets are live credentials, and a second run
// must find the pool as the first one left it.

import path from 'node:path';
import { addDevice, ipNumber, releaseAddress, revokeDevice, type AddressPool } from '../guardian/index.ts';
import { initDevice, type FieldClient, type HttpClient, type RetryPolicy } from '../field/index.ts';
import { nodeFs } from '../field/node.ts';

const BLOCKS = 512;

/** Block `b` (0–511) of 198.18.0.0/15: 198.18.0.1–254 … 198.19.255.1–254. */
export function simPool(block: number): AddressPool {
  const base = ipNumber(`198.${18 + Math.floor(block / 256)}.${block % 256}.0`);
  return { start: base + 1, end: base + 254 };
}

export interface EnrolOptions {
  home: string;
  http: HttpClient;
  guardianUrl: string;
  syncUrl: string;
  caFile: string | null;
  workDir: string;
  names: Array<{ name: string; groups: string[] }>;
  retry: RetryPolicy;
  concurrency: number;
  onEnrolled?: (done: number) => void;
}

/** Registers every device (one registry write each, in order), then enrols them a few at a time. */
export async function enrolFleet(o: EnrolOptions): Promise<FieldClient[]> {
  const codes: string[] = [];
  let block = 0;
  for (const { name, groups } of o.names) {
    for (;;) {
      try {
        codes.push((await addDevice(o.home, { name, groups, enrollmentTtlHours: 1, pool: simPool(block) })).enrollmentCode);
        break;
      } catch (err) {
        // Kept devices of earlier runs may fill a block: move on to the next.
        if ((err as { code?: string }).code !== 'address_pool_exhausted' || ++block >= BLOCKS) throw err;
      }
    }
  }
  const clients: FieldClient[] = new Array(o.names.length);
  let next = 0;
  let done = 0;
  await Promise.all(Array.from({ length: Math.min(o.concurrency, o.names.length) }, async () => {
    while (next < o.names.length) {
      const i = next++;
      const name = o.names[i]!.name;
      clients[i] = await initDevice(nodeFs(path.join(o.workDir, name)), o.http, {
        enrollmentCode: codes[i]!,
        deviceName: name,
        config: { guardian_url: o.guardianUrl, sync_url: o.syncUrl, ca_file: o.caFile },
        retry: o.retry,
      });
      o.onEnrolled?.(++done);
    }
  }));
  return clients;
}

/** Revokes the fleet's devices and frees their addresses. */
export async function retireFleet(home: string, names: string[]): Promise<void> {
  for (const name of names) {
    await revokeDevice(home, name);
    await releaseAddress(home, name);
  }
}
