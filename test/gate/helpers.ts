// Throwaway NEXUS_HOMEs and settings for the gate tests, and network
// namespaces (with their processes and tunnels) that are always cleaned up.

import { after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { loadSettings, type Settings } from '../../src/core/settings.ts';
import { createWgInterface, inNetns, run, stripConfig, wgSetconf, type WgInterface } from '../../src/gate/index.ts';

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

/** A child process inside a namespace whose output is kept for failure messages. */
export type Spawned = ChildProcess & { log: () => string };

/**
 * Network namespaces for one test file: namespaces, processes in them and
 * WireGuard interfaces are recorded as they are made and removed by
 * `cleanup()` (an `after` hook), in reverse, whatever failed. A process exit
 * handler deletes the namespaces too if the runner kills the file early.
 * Names must be unique on the machine: callers add a random id.
 */
export class NetnsLab {
  readonly namespaces: string[] = [];
  readonly #children: Spawned[] = [];
  readonly #interfaces: WgInterface[] = [];

  constructor() {
    const leftovers = (): void => {
      for (const ns of this.namespaces) spawnSync('ip', ['netns', 'del', ns]);
    };
    process.once('exit', leftovers);
    after(async () => {
      await this.cleanup();
      process.off('exit', leftovers);
    });
  }

  async netns(name: string): Promise<string> {
    const r = await run('ip', ['netns', 'add', name]);
    assert.equal(r.code, 0, `ip netns add ${name} (root needed): ${r.stderr}`);
    this.namespaces.push(name);
    await this.sh(name, 'ip link set lo up');
    return name;
  }

  /** A shell command in `ns` that must succeed. */
  async sh(ns: string, cmd: string, timeoutMs = 60_000): Promise<string> {
    const r = await inNetns(ns, 'sh', ['-c', cmd], { timeoutMs });
    assert.equal(r.code, 0, `${ns}: ${cmd}: exit ${r.code}\n${r.stdout}${r.stderr}`);
    return r.stdout;
  }

  /** A veth pair: `port` on the bridge `bridge` in `switchNs`, eth0 with `address` in `ns`. */
  async plug(switchNs: string, bridge: string, port: string, ns: string, address: string): Promise<void> {
    const r = await run('ip', ['link', 'add', port, 'netns', switchNs, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns]);
    assert.equal(r.code, 0, `veth ${port} → ${ns}: ${r.stderr}`);
    await this.sh(switchNs, `ip link set ${port} master ${bridge} && ip link set ${port} up`);
    await this.sh(ns, `ip addr add ${address} dev eth0 && ip link set eth0 up`);
  }

  /** A long-running process in `ns`, killed by cleanup. */
  spawn(ns: string, argv: string[], env: NodeJS.ProcessEnv = { PATH: '/usr/sbin:/usr/bin:/sbin:/bin' }): Spawned {
    const child = spawn('ip', ['netns', 'exec', ns, ...argv], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let log = '';
    child.stdout!.on('data', (d) => (log += d));
    child.stderr!.on('data', (d) => (log += d));
    const spawned = Object.assign(child, { log: () => log });
    this.#children.push(spawned);
    return spawned;
  }

  /** A WireGuard interface in `ns` from a wg-quick style config (address, optional route), up. */
  async tunnel(ns: string, ifName: string, config: string, address: string, route?: string): Promise<WgInterface> {
    const wg = await createWgInterface(ns, ifName);
    this.#interfaces.push(wg);
    const dir = mkdtempSync(path.join(os.tmpdir(), 'nexus-wgconf-'));
    try {
      const file = path.join(dir, `${ifName}.conf`);
      writeFileSync(file, config, { mode: 0o600 });
      await wgSetconf(ns, ifName, await stripConfig(file));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    await this.sh(ns, `ip addr add ${address} dev ${ifName} && ip link set ${ifName} up${route ? ` && ip route add ${route} dev ${ifName}` : ''}`);
    return wg;
  }

  async cleanup(): Promise<void> {
    for (const c of this.#children) if (c.exitCode === null) c.kill('SIGTERM');
    await sleep(500);
    for (const c of this.#children) if (c.exitCode === null) c.kill('SIGKILL');
    await Promise.all(this.#interfaces.map((wg) => wg.stop().catch(() => undefined)));
    for (const ns of this.namespaces.splice(0).reverse()) {
      const r = await run('ip', ['netns', 'del', ns]);
      if (r.code !== 0) console.error(`ip netns del ${ns}: ${r.stderr}`);
    }
  }
}

/** Polls `fn` every 200 ms; on timeout the error says what was awaited and, from `detail`, what the processes said. */
export async function until(what: string, fn: () => Promise<boolean>, timeoutMs: number, detail: () => string | Promise<string> = () => ''): Promise<void> {
  const end = Date.now() + timeoutMs;
  let last = '';
  const attempt = (): Promise<boolean> => fn().catch((err: Error) => ((last = err.message), false));
  while (!(await attempt())) {
    if (Date.now() > end) {
      const more = await Promise.resolve(detail()).catch((err: Error) => `(no detail: ${err.message})`);
      throw new Error(`timed out after ${timeoutMs / 1000} s: ${what}${last ? ` (last error: ${last})` : ''}${more ? `\n${more}` : ''}`);
    }
    await sleep(200);
  }
}
