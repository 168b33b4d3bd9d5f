// `nexus gate apply`: the registry's peers into the running WireGuard
// interface. wg0.conf is rewritten (atomically) and handed to `wg syncconf`,
// which adds and removes only the peers that changed: sessions of the others
// keep running, no handshake is redone, nobody is dropped.

import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { NexusError } from '../core/errors.ts';
import { writeFileAtomic } from '../core/files.ts';
import { activePeers, WG_INTERFACE, type GateConfig } from './config.ts';
import { ensureGateKey } from './gate-key.ts';
import { run, inNetns, requireTool } from './tools.ts';
import { renderGateWireguard } from './wireguard.ts';
import { stripConfig } from './wg.ts';

export interface ApplyOptions {
  /** Where wg-quick reads the interface's config. */
  confPath?: string;
  iface?: string;
  /** Run `wg` inside this network namespace (tests). */
  netns?: string;
}

export interface ApplyResult {
  iface: string;
  confPath: string;
  added: string[];
  removed: string[];
  peers: number;
}

async function wg(opts: ApplyOptions, args: string[]): Promise<string> {
  const r = opts.netns ? await inNetns(opts.netns, 'wg', args) : await run('wg', args);
  if (r.code !== 0) {
    throw new NexusError('wireguard_apply_failed', `wg ${args.join(' ')}: ${r.stderr.trim() || `exit ${r.code}`} (is the interface up? \`systemctl start wg-quick@${opts.iface ?? WG_INTERFACE}\`)`);
  }
  return r.stdout;
}

export async function applyGate(cfg: GateConfig, opts: ApplyOptions = {}): Promise<ApplyResult> {
  requireTool('wg', 'wireguard-tools');
  const iface = opts.iface ?? WG_INTERFACE;
  const confPath = opts.confPath ?? `/etc/wireguard/${iface}.conf`;
  const gateKey = await ensureGateKey(cfg.home);
  const peers = activePeers(cfg.home);
  const before = new Set((await wg({ ...opts, iface }, ['show', iface, 'peers'])).split('\n').filter(Boolean));
  mkdirSync(path.dirname(confPath), { recursive: true });
  writeFileAtomic(confPath, renderGateWireguard(cfg, gateKey, peers), 0o600);
  // wg-quick strip wants the interface-named file; syncconf reads a file path.
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'nexus-apply-'));
  try {
    const stripped = await stripConfig(confPath);
    const file = path.join(tmp, `${iface}.conf`);
    writeFileAtomic(file, stripped, 0o600);
    await wg({ ...opts, iface }, ['syncconf', iface, file]);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  const after = new Set(peers.map((p) => p.public_key));
  const name = new Map(peers.map((p) => [p.public_key, p.name]));
  return {
    iface,
    confPath,
    added: [...after].filter((k) => !before.has(k)).map((k) => name.get(k) ?? k),
    removed: [...before].filter((k) => !after.has(k)),
    peers: peers.length,
  };
}
