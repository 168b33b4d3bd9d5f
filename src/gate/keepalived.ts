// The HA pair: keepalived VRRP over unicast (many home LANs and Wi-Fi APs
// drop multicast), one virtual LAN address that the router forwards the
// WireGuard port to. Both nodes start as BACKUP with nopreempt: whoever is
// MASTER stays MASTER, so a node that comes back does not take the address
// away again (a second interruption for every device).
//
// The track script checks the services only on the MASTER. On the standby
// they are stopped (the notify script stops them), so there it checks that
// they could start; otherwise the standby would sit in FAULT and never take
// over.

import path from 'node:path';
import { ENV_FILE, nexusCommand, WG_INTERFACE, type GateConfig, type UnitOptions } from './config.ts';

export const KEEPALIVED_DIR = '/etc/keepalived';
export const STATE_FILE = '/run/nexus-gate/state';
export const GATE_SERVICES = [`wg-quick@${WG_INTERFACE}.service`, 'dnsmasq.service', 'nexus-guardian.service'];

export function keepalivedMissing(cfg: GateConfig): string[] {
  return (['vip', 'nodeAddress', 'peerAddress'] as const)
    .filter((k) => !cfg[k])
    .map((k) => ({ vip: 'NEXUS_GATE_VIP', nodeAddress: 'NEXUS_GATE_NODE_ADDRESS', peerAddress: 'NEXUS_GATE_PEER_ADDRESS' })[k]);
}

export function renderKeepalived(cfg: GateConfig, dir = KEEPALIVED_DIR): string {
  const primary = cfg.nodeRole === 'MASTER';
  return [
    '# Rendered by `nexus gate render`: one node of the nexus-gate HA pair.',
    `# This node: ${cfg.nodeAddress} (preferred ${cfg.nodeRole}); the other: ${cfg.peerAddress}.`,
    'global_defs {',
    `  router_id nexus-gate-${cfg.nodeAddress}`,
    '  enable_script_security',
    '  script_user root',
    '}',
    '',
    'vrrp_script chk_nexus_gate {',
    `  script "${path.posix.join(dir, 'nexus-gate-check.sh')}"`,
    '  interval 2',
    '  timeout 5',
    '  fall 2',
    '  rise 2',
    '}',
    '',
    'vrrp_instance NEXUS_GATE {',
    '  state BACKUP',
    '  nopreempt',
    `  interface ${cfg.lanInterface}`,
    `  virtual_router_id ${cfg.vrid}`,
    `  priority ${primary ? 150 : 100}`,
    '  advert_int 1',
    `  unicast_src_ip ${cfg.nodeAddress}`,
    '  unicast_peer {',
    `    ${cfg.peerAddress}`,
    '  }',
    '  virtual_ipaddress {',
    `    ${cfg.vip} dev ${cfg.lanInterface}`,
    '  }',
    '  track_script {',
    '    chk_nexus_gate',
    '  }',
    `  notify "${path.posix.join(dir, 'nexus-gate-notify.sh')}"`,
    '}',
    '',
  ].join('\n');
}

/** Test seams: namespaces have no systemd and share /etc with the host. */
export interface ScriptOptions {
  /** Where the state file lives (tests point it into a scratch folder). */
  stateFile?: string;
  wgInterface?: string;
  wgConf?: string;
  /** false: record the state only, start and stop nothing. */
  manageServices?: boolean;
}

/** What both scripts name: the state file (overridable at run time), the interface and its config. */
function scriptPaths(opts: ScriptOptions): { stateLine: string; wg: string; conf: string } {
  const wg = opts.wgInterface ?? WG_INTERFACE;
  return { stateLine: `STATE_FILE="\${NEXUS_GATE_STATE_FILE:-${opts.stateFile ?? STATE_FILE}}"`, wg, conf: opts.wgConf ?? `/etc/wireguard/${wg}.conf` };
}

export function renderCheckScript(cfg: GateConfig, opts: ScriptOptions = {}): string {
  const { stateLine, wg, conf } = scriptPaths(opts);
  return [
    '#!/bin/sh',
    '# keepalived track script (rendered by `nexus gate render`). Exit 0 = healthy.',
    stateLine,
    `WG_IF="\${NEXUS_GATE_WG_IF:-${wg}}"`,
    `GUARDIAN="127.0.0.1:${cfg.ports.guardian}"`,
    'state=$(cat "$STATE_FILE" 2>/dev/null || echo BACKUP)',
    'if [ "$state" = MASTER ]; then',
    '  # Serving: WireGuard up, Guardian answering, dnsmasq running.',
    '  wg show "$WG_IF" listen-port >/dev/null 2>&1 || exit 1',
    '  curl -fsk --max-time 2 "https://$GUARDIAN/guardian/v1/health" >/dev/null 2>&1 || exit 1',
    '  pidof dnsmasq >/dev/null 2>&1 || exit 1',
    '  exit 0',
    'fi',
    '# Standby: the services are stopped here; check they could start.',
    `test -r "${conf}" || exit 1`,
    `test -r "${path.posix.join(cfg.home, 'guardian', 'registry.json')}" || exit 1`,
    'exit 0',
    '',
  ].join('\n');
}

/**
 * On MASTER the services start, then `nexus gate apply` brings the live
 * interface up to date: this node's wg0.conf was rendered when it was
 * installed, and config sync has brought registrations made on the other gate
 * since. Without it a device registered there would have no tunnel here.
 */
export function renderNotifyScript(cfg: GateConfig, unit: UnitOptions, opts: ScriptOptions = {}): string {
  const { stateLine, wg, conf } = scriptPaths(opts);
  const apply = nexusCommand(cfg, unit, 'gate apply --interface "$WG_IF" --conf "$WG_CONF"');
  return [
    '#!/bin/sh',
    '# keepalived notify script (rendered by `nexus gate render`): $1 GROUP|INSTANCE, $2 name, $3 MASTER|BACKUP|FAULT|STOP.',
    '# The MASTER runs WireGuard, dnsmasq and Guardian; a standby runs none of them, so Guardian is never written on two',
    '# gates at once and the synced copy is never overwritten by a stale server.',
    stateLine,
    `WG_IF="${wg}"`,
    `WG_CONF="${conf}"`,
    'new="${3:-$1}"',
    'mkdir -p "$(dirname "$STATE_FILE")"',
    'echo "$new" > "$STATE_FILE"',
    'apply_peers() {',
    `  if [ -r ${ENV_FILE} ]; then export NEXUS_ENV_FILE=${ENV_FILE}; fi`,
    `  if out=$(NEXUS_HOME="${cfg.home}" ${apply} 2>&1); then logger -t nexus-gate "$out"; else logger -t nexus-gate "gate apply failed, peers registered since the last render may lack a tunnel: $out"; fi`,
    '}',
    'case "$new" in',
    ...(opts.manageServices === false
      ? ['  MASTER) apply_peers ;; # (rendered without service management)']
      : [`  MASTER) systemctl start ${GATE_SERVICES.join(' ')} && apply_peers ;;`, `  BACKUP|FAULT|STOP) systemctl stop ${[...GATE_SERVICES].reverse().join(' ')} ;;`]),
    'esac',
    'logger -t nexus-gate "keepalived: $new"',
    'exit 0',
    '',
  ].join('\n');
}
