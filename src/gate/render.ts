// `nexus gate render --out DIR`: every file of the gate, laid out as the tree
// it is installed into (DIR/etc/…, DIR/usr/local/lib/…), plus DIR/clients/
// (one client config per peer, without private keys: those were shown once)
// and DIR/server/ (the server's firewall, run on the server).

import { chmodSync, rmSync } from 'node:fs';
import path from 'node:path';
import { writeFileAtomic } from '../core/files.ts';
import { activePeers, WG_INTERFACE, type GateConfig } from './config.ts';
import { dnsLabel, renderDnsmasq, zoneWarnings } from './dnsmasq.ts';
import { renderGateFirewall, renderServerFirewall, renderSysctl } from './firewall.ts';
import { ensureGateKey } from './gate-key.ts';
import { KEEPALIVED_DIR, keepalivedMissing, renderCheckScript, renderKeepalived, renderNotifyScript } from './keepalived.ts';
import { LIB_DIR, renderGuardianUnit, renderSyncScript, renderSyncService, renderSyncTimer, type UnitOptions } from './systemd.ts';
import { renderClientWireguard, renderGateWireguard } from './wireguard.ts';

export interface RenderedFile {
  /** Relative to the output folder. */
  file: string;
  mode: number;
  kind: 'wireguard' | 'client' | 'firewall' | 'dnsmasq' | 'keepalived' | 'script' | 'systemd' | 'sysctl';
}

export interface RenderResult {
  out: string;
  files: RenderedFile[];
  warnings: string[];
  peers: number;
}

export const WG_CONF = `etc/wireguard/${WG_INTERFACE}.conf`;

/** The folders render owns inside DIR: emptied first so removed peers leave no stale files. */
const OWNED = ['etc', 'usr', 'clients', 'server'];

export async function renderGate(cfg: GateConfig, out: string, unit: UnitOptions): Promise<RenderResult> {
  const gateKey = await ensureGateKey(cfg.home);
  const peers = activePeers(cfg.home);
  const warnings = [...zoneWarnings(cfg.zone)];
  const files: RenderedFile[] = [];
  for (const dir of OWNED) rmSync(path.join(out, dir), { recursive: true, force: true });
  const write = (file: string, content: string, mode: number, kind: RenderedFile['kind']): void => {
    const full = path.join(out, file);
    writeFileAtomic(full, content, mode); // makes the folders
    chmodSync(full, mode); // the umask may have narrowed the mode
    files.push({ file, mode, kind });
  };

  write(WG_CONF, renderGateWireguard(cfg, gateKey, peers), 0o600, 'wireguard');
  for (const p of peers) write(`clients/${dnsLabel(p.name)}.conf`, renderClientWireguard(cfg, p, gateKey.publicKey), 0o644, 'client');
  write(`${LIB_DIR.slice(1)}/ufw-gate.sh`, renderGateFirewall(cfg, peers), 0o755, 'firewall');
  write('server/ufw-server.sh', renderServerFirewall(cfg), 0o755, 'firewall');
  write('etc/sysctl.d/99-nexus-gate.conf', renderSysctl(), 0o644, 'sysctl');
  write('etc/dnsmasq.d/nexus.conf', renderDnsmasq(cfg, peers), 0o644, 'dnsmasq');
  const missing = keepalivedMissing(cfg);
  if (missing.length === 0) {
    write(`${KEEPALIVED_DIR.slice(1)}/keepalived.conf`, renderKeepalived(cfg), 0o644, 'keepalived');
    write(`${KEEPALIVED_DIR.slice(1)}/nexus-gate-check.sh`, renderCheckScript(cfg), 0o755, 'script');
    write(`${KEEPALIVED_DIR.slice(1)}/nexus-gate-notify.sh`, renderNotifyScript(cfg, unit), 0o755, 'script');
    write(`${LIB_DIR.slice(1)}/sync.sh`, renderSyncScript(cfg, unit), 0o755, 'script');
    write('etc/systemd/system/nexus-gate-sync.service', renderSyncService(), 0o644, 'systemd');
    write('etc/systemd/system/nexus-gate-sync.timer', renderSyncTimer(cfg), 0o644, 'systemd');
  } else {
    warnings.push(`No HA pair: keepalived and config sync are not rendered (set ${missing.join(', ')} for a standby gate).`);
  }
  write('etc/systemd/system/nexus-guardian.service', renderGuardianUnit(cfg, unit), 0o644, 'systemd');
  return { out, files, warnings, peers: peers.length };
}
