// dnsmasq for the internal zone: every active peer by name, the gate as
// `gate` and `guardian`, the first server as `sync`. It answers on the
// tunnel address only; other names go to the gate's own resolvers.

import type { GateConfig, GatePeer } from './config.ts';

/** A registry name as a DNS label: lower case, '.' and '_' become '-'. */
export function dnsLabel(name: string): string {
  return name.toLowerCase().replace(/[._]/g, '-').replace(/^-+|-+$/g, '') || 'peer';
}

/** `local` is reserved for mDNS (RFC 6762): iOS and macOS never send it to a DNS server. */
export function zoneWarnings(zone: string): string[] {
  return zone === 'local' || zone.endsWith('.local')
    ? [`NEXUS_DNS_ZONE=${zone}: iOS and macOS resolve .local by mDNS only, so iPads would never ask dnsmasq; use home.arpa (RFC 8375) or a domain you own.`]
    : [];
}

export function renderDnsmasq(cfg: GateConfig, peers: GatePeer[]): string {
  const zone = cfg.zone;
  const lines = [
    '# Rendered by `nexus gate render`: the internal zone for VPN peers.',
    ...zoneWarnings(zone).map((w) => `# WARNING: ${w}`),
    `listen-address=${cfg.vpnAddress}`,
    // bind-dynamic: start even while wg0 (and the address) is absent, as on the standby gate.
    'bind-dynamic',
    'domain-needed',
    'bogus-priv',
    `domain=${zone}`,
    `local=/${zone}/`,
    `host-record=gate.${zone},${cfg.vpnAddress}`,
    `host-record=guardian.${zone},${cfg.vpnAddress}`,
  ];
  const seen = new Set(['gate', 'guardian', 'sync']);
  const firstServer = peers.find((p) => p.role === 'server');
  if (firstServer) lines.push(`host-record=sync.${zone},${firstServer.wg_ip}`);
  for (const p of peers) {
    const label = dnsLabel(p.name);
    if (seen.has(label)) {
      lines.push(`# ${p.name}: the name ${label}.${zone} is taken; reach it as ${p.wg_ip}`);
      continue;
    }
    seen.add(label);
    lines.push(`host-record=${label}.${zone},${p.wg_ip}`);
  }
  return lines.join('\n') + '\n';
}
