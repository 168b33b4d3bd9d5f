// Throwaway NEXUS_HOMEs and settings for the gate tests.

import { after } from 'node:test';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { loadSettings, type Settings } from '../../src/core/settings.ts';

export function tempDir(prefix = 'nexus-gate-'): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
  after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

export function gateSettings(home: string, env: Record<string, string> = {}): Settings {
  return loadSettings({ NEXUS_HOME: home, NEXUS_LOG_LEVEL: 'warn', ...env }, home);
}

/** What `wg pubkey` says about a private key: the real tool as the referee. */
export function wgPubkey(privateKey: string): string {
  return spawnSync('wg', ['pubkey'], { input: privateKey + '\n' }).stdout.toString().trim();
}

export const HA_ENV = {
  NEXUS_GATE_VIP: '192.168.250.100/24',
  NEXUS_GATE_NODE_ADDRESS: '192.168.250.11',
  NEXUS_GATE_PEER_ADDRESS: '192.168.250.12',
  NEXUS_GATE_ENDPOINT: 'gate.example.org:51820',
};
