// A device's WireGuard client config, minimal for now: the address and the
// gate's endpoint. The gate issue adds the key pair, the gate's public key,
// DNS and the QR code; until then the key lines are placeholders.

import type { DeviceSummary } from './devices.ts';

export const VPN_NETWORK = '10.10.0.0/24';

export function renderWireguardConfig(device: Pick<DeviceSummary, 'name' | 'device_id' | 'wg_ip'>, gateEndpoint: string | undefined): string {
  return [
    `# Nexus field device ${device.name} (${device.device_id})`,
    '[Interface]',
    `Address = ${device.wg_ip}/32`,
    '# PrivateKey = <the device key; filled in when the gate manages WireGuard keys>',
    '',
    '[Peer]',
    '# PublicKey = <the gate key; filled in when the gate manages WireGuard keys>',
    gateEndpoint ? `Endpoint = ${gateEndpoint}` : '# Endpoint = <set NEXUS_GATE_ENDPOINT to the gate\u2019s host:port>',
    `AllowedIPs = ${VPN_NETWORK}`,
    'PersistentKeepalive = 25',
    '',
  ].join('\n');
}
