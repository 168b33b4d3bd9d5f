// What the rendered files are made of: the settings that describe the gate
// (addresses, ports, pair) and the peers on record in Guardian's registry.

import path from 'node:path';
import type { Settings } from '../core/settings.ts';
import { ADDRESS_POOLS, readRegistry, type PoolName } from '../guardian/index.ts';

export const WG_INTERFACE = 'wg0';
export const VPN_NETWORK = '10.10.0.0/24';
export const SSH_PORT = 22;
export const DNS_PORT = 53;
/** Where the gate's settings live; systemd units and keepalived's scripts read it. */
export const ENV_FILE = '/etc/nexus/nexus.env';

export interface UnitOptions {
  /** The node binary (the one rendering: the gate runs render on itself). */
  node: string;
}

/** A `nexus …` command line as rendered files run it: the installed checkout, the rendering node binary. */
export function nexusCommand(cfg: GateConfig, opts: UnitOptions, args: string): string {
  return `${opts.node} ${path.posix.join(cfg.installDir, 'bin', 'nexus.js')} ${args}`;
}

export interface GatePeer {
  name: string;
  role: PoolName;
  wg_ip: string;
  public_key: string;
}

export interface GateConfig {
  home: string;
  /** wg0 on a gate; tests in network namespaces need names unique on the machine (wireguard-go's sockets). */
  wgInterface: string;
  zone: string;
  vpnAddress: string;
  wgPort: number;
  lanInterface: string;
  endpoint: string | undefined;
  vip: string | undefined;
  nodeAddress: string | undefined;
  peerAddress: string | undefined;
  nodeRole: 'MASTER' | 'BACKUP';
  vrid: number;
  syncMinutes: number;
  syncUser: string;
  /** rsync's -e: the ssh command of config sync. */
  syncSsh: string;
  installDir: string;
  ports: { sync: number; guardian: number; postgres: number; ssh: number; dns: number };
}

export function gateConfig(settings: Settings): GateConfig {
  return {
    home: settings.home,
    wgInterface: WG_INTERFACE,
    zone: settings.dnsZone,
    vpnAddress: settings.gateVpnAddress,
    wgPort: settings.gateWgPort,
    lanInterface: settings.gateLanInterface,
    endpoint: settings.gateEndpoint,
    vip: settings.gateVip,
    nodeAddress: settings.gateNodeAddress,
    peerAddress: settings.gatePeerAddress,
    nodeRole: settings.gateNodeRole,
    vrid: settings.gateVrid,
    syncMinutes: settings.gateSyncMinutes,
    syncUser: settings.gateSyncUser,
    syncSsh: settings.gateSyncSsh,
    installDir: settings.gateInstallDir,
    ports: { sync: settings.syncPort, guardian: settings.guardianPort, postgres: settings.serverPostgresPort, ssh: SSH_PORT, dns: DNS_PORT },
  };
}

/**
 * Every peer that belongs in wg0.conf: field devices not revoked (a pending
 * device needs its tunnel to enrol) and with a known key, active servers and
 * dev machines. Sorted by address so renders are stable.
 */
export function activePeers(home: string): GatePeer[] {
  const registry = readRegistry(home);
  const peers: GatePeer[] = [];
  for (const d of registry.devices) {
    if (d.status !== 'revoked' && !d.released_at && d.wg_public_key) peers.push({ name: d.name, role: 'field', wg_ip: d.wg_ip, public_key: d.wg_public_key });
  }
  for (const p of registry.peers ?? []) {
    if (p.status === 'active') peers.push({ name: p.name, role: p.role, wg_ip: p.wg_ip, public_key: p.wg_public_key });
  }
  return peers.sort((a, b) => ipNumber(a.wg_ip) - ipNumber(b.wg_ip));
}

export function ipNumber(ip: string): number {
  return ip.split('.').reduce((n, o) => n * 256 + Number(o), 0);
}

/** The smallest set of CIDR blocks covering a pool: UFW speaks CIDR, the pools are ranges. */
export function poolCidrs(role: PoolName): string[] {
  const pool = ADDRESS_POOLS[role];
  const out: string[] = [];
  let host = pool.first;
  while (host <= pool.last) {
    let size = 1;
    while (host % (size * 2) === 0 && host + size * 2 - 1 <= pool.last) size *= 2;
    out.push(`${pool.prefix}.${host}/${32 - Math.log2(size)}`);
    host += size;
  }
  return out;
}
