// WireGuard files: the gate's wg0.conf (every active peer, one /32 each, so
// WireGuard's cryptokey routing pins every source address to its key) and
// each peer's client config.

import { renderWireguardConfig } from '../guardian/index.ts';
import { type GateConfig, type GatePeer } from './config.ts';
import type { WgKeyPair } from './keys.ts';

const ROLE_LABEL = { field: 'field device', server: 'server', dev: 'dev machine' } as const;

export function renderGateWireguard(cfg: GateConfig, gateKey: WgKeyPair, peers: GatePeer[]): string {
  const prefix = cfg.vpnNetwork.split('/')[1];
  const lines = [
    '# nexus-gate WireGuard interface, rendered by `nexus gate render` from Guardian\'s registry. Do not edit:',
    '# the next render or `nexus gate apply` replaces it.',
    '[Interface]',
    `Address = ${cfg.vpnAddress}/${prefix}`,
    `ListenPort = ${cfg.wgPort}`,
    `PrivateKey = ${gateKey.privateKey}`,
    '',
  ];
  for (const p of peers) {
    lines.push(`# ${p.name} (${ROLE_LABEL[p.role]})`, '[Peer]', `PublicKey = ${p.public_key}`, `AllowedIPs = ${p.wg_ip}/32`, '');
  }
  return lines.join('\n');
}

export function renderClientWireguard(cfg: GateConfig, peer: Pick<GatePeer, 'name' | 'role' | 'wg_ip'> & { device_id?: string }, gatePublicKey: string, privateKey?: string): string {
  return renderWireguardConfig(peer, cfg.endpoint, {
    gatePublicKey,
    dns: cfg.vpnAddress,
    dnsZone: cfg.zone,
    network: cfg.vpnNetwork,
    label: ROLE_LABEL[peer.role],
    ...(privateKey ? { privateKey } : {}),
  });
}
