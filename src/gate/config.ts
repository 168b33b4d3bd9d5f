// What the rendered files are made of: the settings that describe the gate
// (addresses, ports, pair) and the peers on record in Guardian's registry.

import path from 'node:path';
import { EXIT_USAGE, NexusError } from '../core/errors.ts';
import type { Settings } from '../core/settings.ts';
import { ADDRESS_POOLS, describeRange, ipNumber, rangeCidrs, readRegistry, type IpRange, type PoolName } from '../guardian/index.ts';

export const WG_INTERFACE = 'wg0';
/** The default VPN network; NEXUS_VPN_NETWORK sets another (GateConfig.vpnNetwork). */
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
  /** NEXUS_VPN_NETWORK: client AllowedIPs and the prefix of the gate's Address. */
  vpnNetwork: string;
  /** NEXUS_GATE_FIELD_POOL as integers; servers and dev machines keep ADDRESS_POOLS. */
  fieldPool: IpRange;
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
    vpnNetwork: settings.vpnNetwork,
    fieldPool: fieldPool(settings),
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

/**
 * The field pool of NEXUS_GATE_FIELD_POOL, checked against the rest of the
 * address plan: inside NEXUS_VPN_NETWORK (as are the server and dev pools and
 * the gate address), clear of the server and dev pools and of the gate
 * address. A wrong plan stops with exit 2, like any bad setting.
 */
export function fieldPool(settings: Pick<Settings, 'vpnNetwork' | 'gateFieldPool' | 'gateVpnAddress'>): IpRange {
  const [a, b] = settings.gateFieldPool.split('-') as [string, string];
  const pool = { start: ipNumber(a), end: ipNumber(b) };
  const [base, len] = settings.vpnNetwork.split('/') as [string, string];
  const net = { start: ipNumber(base), end: ipNumber(base) + 2 ** (32 - Number(len)) - 1 };
  const inside = (r: IpRange): boolean => r.start > net.start && r.end < net.end; // not the network or broadcast address
  const overlaps = (r: IpRange): boolean => r.start <= pool.end && pool.start <= r.end;
  const gate = ipNumber(settings.gateVpnAddress);
  const problems: string[] = [];
  if (!inside(pool)) problems.push(`NEXUS_GATE_FIELD_POOL: ${settings.gateFieldPool} is not inside NEXUS_VPN_NETWORK ${settings.vpnNetwork} (network and broadcast addresses excluded)`);
  if (!inside({ start: gate, end: gate })) problems.push(`NEXUS_GATE_VPN_ADDRESS: ${settings.gateVpnAddress} is not inside NEXUS_VPN_NETWORK ${settings.vpnNetwork}`);
  if (overlaps({ start: gate, end: gate })) problems.push(`NEXUS_GATE_FIELD_POOL: ${settings.gateFieldPool} holds the gate address ${settings.gateVpnAddress}`);
  for (const role of ['server', 'dev'] as const) {
    const r = ADDRESS_POOLS[role];
    if (!inside(r)) problems.push(`NEXUS_VPN_NETWORK: ${settings.vpnNetwork} does not hold the ${role} pool ${describeRange(r)}`);
    if (overlaps(r)) problems.push(`NEXUS_GATE_FIELD_POOL: ${settings.gateFieldPool} overlaps the ${role} pool ${describeRange(r)}`);
  }
  if (problems.length) throw new NexusError('invalid_setting', problems.join('\n'), { exitCode: EXIT_USAGE });
  return pool;
}

/** The smallest set of CIDR blocks covering a role's pool (the field pool: as configured). */
export function poolCidrs(role: PoolName, cfg?: Pick<GateConfig, 'fieldPool'>): string[] {
  return rangeCidrs(role === 'field' && cfg ? cfg.fieldPool : ADDRESS_POOLS[role]);
}
