// UFW rules for the gate and for the server, as shell scripts of `ufw`
// commands (what an administrator would type, and what `nexus gate check`
// runs against a scratch UFW in a scratch network namespace).
//
// Default deny everywhere. From outside, the gate accepts only WireGuard
// (plus VRRP and SSH from the other gate of an HA pair). Inside the tunnel,
// what a peer may reach depends on its role, and the source address proves
// the role: wg0.conf pins each address to one key.

import { poolCidrs, type GateConfig, type GatePeer } from './config.ts';
import type { PoolName } from '../guardian/index.ts';

interface Allow {
  port: number;
  proto: 'tcp' | 'udp';
  what: string;
}

/** What each role may reach on the gate itself (over wg0). */
function gateServices(cfg: GateConfig, role: PoolName): Allow[] {
  const base: Allow[] = [
    { port: cfg.ports.dns, proto: 'udp', what: 'DNS' },
    { port: cfg.ports.dns, proto: 'tcp', what: 'DNS' },
    { port: cfg.ports.guardian, proto: 'tcp', what: 'Guardian' },
  ];
  return role === 'dev' ? [...base, { port: cfg.ports.ssh, proto: 'tcp', what: 'SSH' }] : base;
}

/** What each role may reach on the servers (routed through the gate, and again on the server itself). */
export function serverServices(cfg: GateConfig, role: PoolName): Allow[] {
  const sync: Allow = { port: cfg.ports.sync, proto: 'tcp', what: 'sync API' };
  if (role === 'field') return [sync];
  if (role === 'dev') return [sync, { port: cfg.ports.postgres, proto: 'tcp', what: 'PostgreSQL' }, { port: cfg.ports.ssh, proto: 'tcp', what: 'SSH' }];
  return []; // servers talk to each other only for what a later issue opens explicitly
}

const ROLES: PoolName[] = ['field', 'server', 'dev'];

const HEADER = [
  '#!/bin/sh',
  '# Rendered by `nexus gate render`. Replaces every UFW rule (ufw reset), then enables UFW.',
  '# UFW_OPTS lets `nexus gate check` aim it at a scratch UFW (--rootdir/--datadir) in a scratch network namespace.',
  'set -eu',
  'ufw() { command ufw ${UFW_OPTS:-} "$@"; }',
  'ufw --force reset >/dev/null',
  'ufw default deny incoming',
  'ufw default allow outgoing',
];

export function renderGateFirewall(cfg: GateConfig, peers: GatePeer[]): string {
  const lines = [...HEADER, 'ufw default deny routed', ''];
  lines.push('# From outside: WireGuard only.');
  lines.push(`ufw allow in on ${cfg.lanInterface} to any port ${cfg.wgPort} proto udp comment 'WireGuard'`);
  if (cfg.peerAddress) {
    lines.push('# The other gate of the pair: VRRP (keepalived) and SSH (config sync).');
    lines.push(`ufw allow in on ${cfg.lanInterface} from ${cfg.peerAddress} proto vrrp comment 'keepalived'`);
    lines.push(`ufw allow in on ${cfg.lanInterface} from ${cfg.peerAddress} to any port ${cfg.ports.ssh} proto tcp comment 'config sync'`);
  }
  const servers = peers.filter((p) => p.role === 'server');
  for (const role of ROLES) {
    const cidrs = poolCidrs(role, cfg);
    lines.push('', `# ${role} peers (${cidrs.join(' ')}) to the gate`);
    for (const from of cidrs) {
      for (const a of gateServices(cfg, role)) {
        lines.push(`ufw allow in on ${cfg.wgInterface} from ${from} to ${cfg.vpnAddress} port ${a.port} proto ${a.proto} comment '${role} ${a.what}'`);
      }
    }
    const allowed = serverServices(cfg, role);
    if (allowed.length && servers.length) lines.push(`# ${role} peers through the gate to the servers`);
    for (const server of servers) {
      for (const from of cidrs) {
        for (const a of allowed) {
          lines.push(`ufw route allow in on ${cfg.wgInterface} out on ${cfg.wgInterface} from ${from} to ${server.wg_ip} port ${a.port} proto ${a.proto} comment '${role} ${a.what} on ${server.name}'`);
        }
      }
    }
  }
  lines.push('', 'ufw --force enable', '');
  return lines.join('\n');
}

/** The server's own firewall: nothing from outside (it dials the gate), per-role services on wg0. */
export function renderServerFirewall(cfg: GateConfig): string {
  const lines = [...HEADER, '', '# Nothing from outside: the server dials out to the gate. Console access if the VPN is down.'];
  for (const role of ROLES) {
    for (const a of serverServices(cfg, role)) {
      for (const from of poolCidrs(role, cfg)) {
        lines.push(`ufw allow in on ${cfg.wgInterface} from ${from} to any port ${a.port} proto ${a.proto} comment '${role} ${a.what}'`);
      }
    }
  }
  lines.push('', 'ufw --force enable', '');
  return lines.join('\n');
}

/** IP forwarding: the gate routes peer to server over wg0 (UFW's `route` rules filter it). */
export function renderSysctl(): string {
  return ['# Rendered by `nexus gate render`: the gate forwards between WireGuard peers.', 'net.ipv4.ip_forward = 1', ''].join('\n');
}
