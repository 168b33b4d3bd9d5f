// A peer's WireGuard client config. The gate (src/gate) supplies the key
// pair and the gate's public key; a line whose value is unknown stays a
// comment, so the file always parses (`wg-quick strip`) and says what is
// missing.

import type { DeviceSummary } from './devices.ts';

export const VPN_NETWORK = '10.10.0.0/24';

export interface ClientConfigOptions {
  /** Shown once, never stored: present only in the config printed at `add`. */
  privateKey?: string;
  gatePublicKey?: string;
  /** The gate's tunnel address, which runs dnsmasq for the internal zone. */
  dns?: string;
  /** Search domain after the DNS server (the internal zone). */
  dnsZone?: string;
  label?: string;
  /** The VPN network routed through the tunnel (NEXUS_VPN_NETWORK); default VPN_NETWORK. */
  network?: string;
}

export function renderWireguardConfig(
  device: Pick<DeviceSummary, 'name' | 'wg_ip'> & { device_id?: string },
  gateEndpoint: string | undefined,
  opts: ClientConfigOptions = {},
): string {
  const dns = opts.dns ? [opts.dns, ...(opts.dnsZone ? [opts.dnsZone] : [])].join(', ') : undefined;
  return [
    `# Nexus ${opts.label ?? 'field device'} ${device.name}${device.device_id ? ` (${device.device_id})` : ''}`,
    '[Interface]',
    `Address = ${device.wg_ip}/32`,
    opts.privateKey ? `PrivateKey = ${opts.privateKey}` : '# PrivateKey = <the key pair was made elsewhere or shown once at add; it is never stored>',
    ...(dns ? [`DNS = ${dns}`] : []),
    '',
    '[Peer]',
    opts.gatePublicKey ? `PublicKey = ${opts.gatePublicKey}` : '# PublicKey = <the gate key; run `nexus gate render` on the gate>',
    gateEndpoint ? `Endpoint = ${gateEndpoint}` : '# Endpoint = <set NEXUS_GATE_ENDPOINT to the gate\u2019s host:port>',
    `AllowedIPs = ${opts.network ?? VPN_NETWORK}`,
    'PersistentKeepalive = 25',
    '',
  ].join('\n');
}
