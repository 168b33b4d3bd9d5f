// WireGuard interfaces inside a network namespace: the kernel's when the
// module exists, wireguard-go (userspace) otherwise. wireguard-go's control
// sockets all live in /var/run/wireguard whatever the namespace, so every
// interface needs a name unique on the machine.

import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { NexusError } from '../core/errors.ts';
import { hasTool, inNetns, run } from './tools.ts';

export interface WgInterface {
  ns: string;
  name: string;
  kind: 'kernel' | 'wireguard-go';
  stop(): Promise<void>;
}

const socketPath = (name: string): string => `/var/run/wireguard/${name}.sock`;

export async function createWgInterface(ns: string, name: string): Promise<WgInterface> {
  const kernel = await inNetns(ns, 'ip', ['link', 'add', name, 'type', 'wireguard']);
  if (kernel.code === 0) {
    return { ns, name, kind: 'kernel', stop: async () => void (await inNetns(ns, 'ip', ['link', 'del', name])) };
  }
  if (!hasTool('wireguard-go')) {
    throw new NexusError('wireguard_unavailable', `No WireGuard here: the kernel refused a wireguard interface (${kernel.stderr.trim()}) and wireguard-go is not installed (apt-get install wireguard-go).`);
  }
  // Foreground, owned by us: a daemonised wireguard-go outlives nothing we can track.
  const child: ChildProcess = spawn('ip', ['netns', 'exec', ns, 'wireguard-go', '-f', name], {
    env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', WG_PROCESS_FOREGROUND: '1', LOG_LEVEL: 'error' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let err = '';
  child.stderr!.on('data', (d) => (err += d));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  for (let i = 0; i < 100 && !existsSync(socketPath(name)); i++) {
    if (child.exitCode !== null) break;
    await sleep(50);
  }
  if (!existsSync(socketPath(name))) {
    child.kill('SIGKILL');
    throw new NexusError('wireguard_unavailable', `wireguard-go could not create ${name}: ${err.trim() || 'no control socket'}`);
  }
  return {
    ns,
    name,
    kind: 'wireguard-go',
    stop: async () => {
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        await Promise.race([exited, sleep(3000)]);
        if (child.exitCode === null) child.kill('SIGKILL');
      }
      rmSync(socketPath(name), { force: true });
      await inNetns(ns, 'ip', ['link', 'del', name]);
    },
  };
}

/** `wg-quick strip`: the config without wg-quick's own keys (Address, DNS, …), as `wg setconf` reads it. */
export async function stripConfig(file: string): Promise<string> {
  const r = await run('wg-quick', ['strip', file]);
  if (r.code !== 0) throw new NexusError('invalid_wireguard_config', `${file}: ${r.stderr.trim()}`);
  return r.stdout;
}

export async function wgSetconf(ns: string, name: string, stripped: string, sub: 'setconf' | 'syncconf' = 'setconf'): Promise<void> {
  // A file, not /dev/stdin: Node's stdio pipes are sockets, which wg cannot fopen.
  const dir = mkdtempSync(path.join(os.tmpdir(), 'nexus-wg-'));
  const file = path.join(dir, `${name}.conf`);
  writeFileSync(file, stripped, { mode: 0o600 });
  const r = await inNetns(ns, 'wg', [sub, name, file]).finally(() => rmSync(dir, { recursive: true, force: true }));
  if (r.code !== 0) throw new NexusError('wireguard_rejected', `wg ${sub} ${name}: ${r.stderr.trim()}`);
}
