// systemd units of the gate and the config-sync script. WireGuard runs as the
// packaged wg-quick@wg0; dnsmasq and keepalived as their packaged units.

import path from 'node:path';
import { ENV_FILE, nexusCommand, type GateConfig, type UnitOptions } from './config.ts';
import { STATE_FILE } from './keepalived.ts';
import { SNAPSHOT_DIRS } from './snapshot.ts';

export const LIB_DIR = '/usr/local/lib/nexus-gate';
export { ENV_FILE };

export type { UnitOptions };

export function renderGuardianUnit(cfg: GateConfig, opts: UnitOptions): string {
  return [
    '# Rendered by `nexus gate render`. On an HA pair keepalived starts it on the MASTER only.',
    '[Unit]',
    'Description=Nexus Guardian (device identity on the gate)',
    'After=network-online.target',
    'Wants=network-online.target',
    '',
    '[Service]',
    'Type=simple',
    `EnvironmentFile=-${ENV_FILE}`,
    `Environment=NEXUS_HOME=${cfg.home}`,
    `WorkingDirectory=${cfg.installDir}`,
    `ExecStart=${nexusCommand(cfg, opts, 'guardian')}`,
    'Restart=on-failure',
    'RestartSec=2',
    'NoNewPrivileges=yes',
    'PrivateTmp=yes',
    'ProtectSystem=strict',
    `ReadWritePaths=${cfg.home}`,
    '',
    '[Install]',
    'WantedBy=multi-user.target',
    '',
  ].join('\n');
}

export function renderSyncService(): string {
  return [
    '# Rendered by `nexus gate render`: sends Guardian\'s state to the standby gate (MASTER only).',
    '[Unit]',
    'Description=Nexus gate config sync to the standby',
    'After=network-online.target',
    'Wants=network-online.target',
    '',
    '[Service]',
    'Type=oneshot',
    `EnvironmentFile=-${ENV_FILE}`,
    `ExecStart=${path.posix.join(LIB_DIR, 'sync.sh')}`,
    '',
  ].join('\n');
}

export function renderSyncTimer(cfg: GateConfig): string {
  return [
    '# Rendered by `nexus gate render`.',
    '[Unit]',
    'Description=Nexus gate config sync every few minutes',
    '',
    '[Timer]',
    'OnBootSec=2min',
    `OnUnitActiveSec=${cfg.syncMinutes}min`,
    'AccuracySec=30s',
    'Unit=nexus-gate-sync.service',
    '',
    '[Install]',
    'WantedBy=timers.target',
    '',
  ].join('\n');
}

/** One shell word, whatever it contains. */
function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/**
 * Config sync: on the MASTER only, a snapshot of Guardian's folder and the TLS
 * folder taken under their locks (`nexus gate snapshot`), rsynced over SSH to
 * the same folders of the standby's NEXUS_HOME (both gates use the same path).
 * rsync writes each file to a temporary name and renames it, so the standby
 * never sees a torn file; --delete-after keeps each folder an exact copy and
 * touches nothing else in the standby's home (nor its lock files: excluded).
 * The ssh command is NEXUS_GATE_SYNC_SSH (e.g. `-i` for a dedicated key).
 */
export function renderSyncScript(cfg: GateConfig, opts: UnitOptions): string {
  const target = `${cfg.syncUser}@${cfg.peerAddress ?? 'PEER-NOT-SET'}`;
  return [
    '#!/bin/sh',
    '# Rendered by `nexus gate render`.',
    'set -eu',
    `STATE_FILE="\${NEXUS_GATE_STATE_FILE:-${STATE_FILE}}"`,
    `SSH=${shellQuote(cfg.syncSsh)}`,
    'state=$(cat "$STATE_FILE" 2>/dev/null || echo none)',
    'if [ "$state" != MASTER ]; then echo "nexus-gate-sync: this gate is $state, only the MASTER sends"; exit 0; fi',
    ...(cfg.peerAddress ? [] : ['echo "nexus-gate-sync: NEXUS_GATE_PEER_ADDRESS is not set" >&2', 'exit 1']),
    'snap=$(mktemp -d)',
    'trap \'rm -rf "$snap"\' EXIT',
    `${nexusCommand(cfg, opts, 'gate snapshot --out "$snap"')}`,
    `rsync -a --delete-after --exclude '.*' -e "$SSH" ${SNAPSHOT_DIRS.map((d) => `"$snap/${d}"`).join(' ')} "${target}:${cfg.home}/"`,
    'echo "nexus-gate-sync: sent to ' + target + '"',
    '',
  ].join('\n');
}
