// `nexus gate apply`: the registry's peers into the running WireGuard
// interface. wg0.conf is rewritten (atomically, for the next start) and the
// live interface gets only the peer changes, in one `wg set`: peers added,
// peers removed, allowed IPs corrected. Sessions of the others keep running,
// no handshake is redone, nobody is dropped.
//
// Not `wg syncconf`: it hands the interface its ListenPort again, and
// wireguard-go rebinds its socket on that even when the port is unchanged,
// forgetting the address each peer last reached it at. Its replies then leave
// from the node's own LAN address instead of the HA pair's virtual address;
// devices roam to that address and no longer follow the virtual address to
// the standby on failover (seen in test/gate/failover.test.ts).

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { NexusError } from '../core/errors.ts';
import { writeFileAtomic } from '../core/files.ts';
import { activePeers, WG_INTERFACE, type GateConfig } from './config.ts';
import { ensureGateKey } from './gate-key.ts';
import { run, inNetns, requireTool } from './tools.ts';
import { renderGateWireguard } from './wireguard.ts';

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

/** Public key → allowed IPs (sorted, comma-joined) of the live interface. */
async function livePeers(opts: ApplyOptions, iface: string): Promise<Map<string, string>> {
  const out = await wg(opts, ['show', iface, 'allowed-ips']);
  const peers = new Map<string, string>();
  for (const line of out.split('\n').filter(Boolean)) {
    const [key, ips = ''] = line.split('\t');
    peers.set(key!, ips.split(' ').filter((ip) => ip && ip !== '(none)').sort().join(','));
  }
  return peers;
}

export async function applyGate(cfg: GateConfig, opts: ApplyOptions = {}): Promise<ApplyResult> {
  requireTool('wg', 'wireguard-tools');
  const iface = opts.iface ?? WG_INTERFACE;
  const o = { ...opts, iface };
  const confPath = opts.confPath ?? `/etc/wireguard/${iface}.conf`;
  const gateKey = await ensureGateKey(cfg.home);
  const peers = activePeers(cfg.home);
  const live = await livePeers(o, iface);
  const livePublicKey = (await wg(o, ['show', iface, 'public-key'])).trim();
  writeFileAtomic(confPath, renderGateWireguard(cfg, gateKey, peers), 0o600);

  const wanted = new Map(peers.map((p) => [p.public_key, `${p.wg_ip}/32`]));
  const args: string[] = [];
  for (const [key, ips] of wanted) if (live.get(key) !== ips) args.push('peer', key, 'allowed-ips', ips);
  for (const key of live.keys()) if (!wanted.has(key)) args.push('peer', key, 'remove');
  // A node whose interface came up with another key (rendered before its first sync) takes the pair's key.
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'nexus-apply-'));
  try {
    if (livePublicKey !== gateKey.publicKey) {
      const keyFile = path.join(tmp, 'private.key');
      writeFileSync(keyFile, gateKey.privateKey + '\n', { mode: 0o600 });
      args.unshift('private-key', keyFile);
    }
    if (args.length > 0) await wg(o, ['set', iface, ...args]);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  const name = new Map(peers.map((p) => [p.public_key, p.name]));
  return {
    iface,
    confPath,
    added: [...wanted.keys()].filter((k) => !live.has(k)).map((k) => name.get(k) ?? k),
    removed: [...live.keys()].filter((k) => !wanted.has(k)),
    peers: peers.length,
  };
}
