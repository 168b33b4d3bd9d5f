// The HA pair in network namespaces: two gates joined by a veth link, each
// running the rendered keepalived.conf with the rendered track and notify
// scripts, WireGuard (wireguard-go), a real Guardian and dnsmasq. The MASTER
// holds the virtual address; when its WireGuard goes away its track script
// fails and the address moves to the standby. The time is measured and
// printed. Service starting/stopping is left out (no systemd in a namespace):
// both gates run their services throughout.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { NEXUS_BIN, childEnv } from '../helpers/cli.ts';
import { HA_ENV, gateSettings, tempDir } from './helpers.ts';
import {
  addGateDevice, createWgInterface, gateConfig, inNetns, renderCheckScript, renderDnsmasq, renderGate, renderKeepalived, renderNotifyScript, run,
  stripConfig, wgSetconf, activePeers, type GateConfig, type WgInterface,
} from '../../src/gate/index.ts';

const id = randomBytes(3).toString('hex');
const home = tempDir();
const work = tempDir();
const settings = gateSettings(home, HA_ENV);
const VIP = '192.168.251.100';
const nodes = [1, 2].map((n) => ({
  n,
  ns: `nxk${n}-${id}`,
  address: `192.168.251.1${n}`,
  dir: path.join(work, `node${n}`),
  wg: undefined as WgInterface | undefined,
  cfg: undefined as GateConfig | undefined,
  guardian: undefined as (ChildProcess & { log: () => string }) | undefined,
}));
const children: ChildProcess[] = [];

function start(ns: string, cmd: string[], env: NodeJS.ProcessEnv = { PATH: '/usr/sbin:/usr/bin:/sbin:/bin' }): ChildProcess & { log: () => string } {
  const child = spawn('ip', ['netns', 'exec', ns, ...cmd], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  child.stdout!.on('data', (d) => (log += d));
  child.stderr!.on('data', (d) => (log += d));
  children.push(child);
  return Object.assign(child, { log: () => log });
}

async function holdsVip(ns: string): Promise<boolean> {
  return (await inNetns(ns, 'ip', ['-4', '-br', 'addr', 'show', 'eth0'])).stdout.includes(`${VIP}/24`);
}

async function until(what: string, fn: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await fn())) {
    if (Date.now() > end) throw new Error(`timed out: ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

before(async () => {
  await addGateDevice(settings, { name: 'ipad-1', groups: [] });
  const rendered = path.join(work, 'render');
  await renderGate(gateConfig(settings), rendered, { node: process.execPath });
  const wgConf = readFileSync(path.join(rendered, 'etc/wireguard/wg0.conf'), 'utf8');
  for (const node of nodes) assert.equal((await run('ip', ['netns', 'add', node.ns])).code, 0, 'root needed');
  assert.equal((await run('ip', ['link', 'add', 'eth0', 'netns', nodes[0]!.ns, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', nodes[1]!.ns])).code, 0);
  for (const node of nodes) {
    const other = nodes.find((x) => x !== node)!;
    await inNetns(node.ns, 'sh', ['-c', `ip link set lo up && ip addr add ${node.address}/24 dev eth0 && ip link set eth0 up`]);
    node.cfg = {
      ...gateConfig(settings),
      wgInterface: `nxk${node.n}${id}`,
      lanInterface: 'eth0',
      vip: `${VIP}/24`,
      nodeAddress: node.address,
      peerAddress: other.address,
      nodeRole: node.n === 1 ? 'MASTER' : 'BACKUP',
    };
    mkdirSync(node.dir, { recursive: true, mode: 0o700 });
    const opts = { stateFile: path.join(node.dir, 'state'), wgInterface: node.cfg.wgInterface, wgConf: path.join(node.dir, 'wg0.conf'), manageServices: false };
    writeFileSync(path.join(node.dir, 'wg0.conf'), wgConf, { mode: 0o600 });
    writeFileSync(path.join(node.dir, 'keepalived.conf'), renderKeepalived(node.cfg, node.dir));
    writeFileSync(path.join(node.dir, 'nexus-gate-check.sh'), renderCheckScript(node.cfg, opts));
    writeFileSync(path.join(node.dir, 'nexus-gate-notify.sh'), renderNotifyScript(opts));
    writeFileSync(path.join(node.dir, 'dnsmasq.conf'), renderDnsmasq(node.cfg, activePeers(home)));
    for (const f of ['nexus-gate-check.sh', 'nexus-gate-notify.sh']) chmodSync(path.join(node.dir, f), 0o755);

    // The services the track script checks: WireGuard, Guardian, dnsmasq.
    node.wg = await createWgInterface(node.ns, node.cfg.wgInterface);
    await wgSetconf(node.ns, node.cfg.wgInterface, await stripConfig(path.join(node.dir, 'wg0.conf')));
    await inNetns(node.ns, 'ip', ['link', 'set', node.cfg.wgInterface, 'up']);
    node.guardian = start(node.ns, [process.execPath, NEXUS_BIN, 'guardian'], childEnv({ NEXUS_HOME: home, NEXUS_GUARDIAN_HOST: '127.0.0.1', NEXUS_GUARDIAN_PORT: '8444' }));
    start(node.ns, ['dnsmasq', '-k', `--conf-file=${path.join(node.dir, 'dnsmasq.conf')}`, `--pid-file=${path.join(node.dir, 'dnsmasq.pid')}`]);
  }
  for (const node of nodes) {
    await until(`Guardian in ${node.ns}`, async () => (await inNetns(node.ns, 'curl', ['-fsk', '--max-time', '2', 'https://127.0.0.1:8444/guardian/v1/health'])).code === 0, 90_000)
      .catch((err: Error) => {
        throw new Error(`${err.message}; its output:\n${node.guardian!.log()}`);
      });
  }
  for (const node of nodes) {
    start(node.ns, ['keepalived', '-n', '-l', '-P', '-f', path.join(node.dir, 'keepalived.conf'), '-p', path.join(node.dir, 'keepalived.pid'), '-r', path.join(node.dir, 'vrrp.pid')]);
  }
});

after(async () => {
  for (const c of children) c.kill('SIGTERM');
  await new Promise((r) => setTimeout(r, 500));
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  for (const node of nodes) await node.wg?.stop().catch(() => undefined);
  for (const node of nodes) await run('ip', ['netns', 'del', node.ns]);
});

test('the preferred MASTER takes the virtual address; when its WireGuard fails the address moves to the standby', async (t) => {
  const [one, two] = nodes as [(typeof nodes)[0], (typeof nodes)[0]];
  await until('node 1 holds the virtual address', () => holdsVip(one.ns), 30_000);
  assert.equal(await holdsVip(two.ns), false);
  assert.equal(readFileSync(path.join(one.dir, 'state'), 'utf8').trim(), 'MASTER', 'the notify script recorded the state');

  const stopped = Date.now();
  await one.wg!.stop(); // the MASTER's WireGuard goes away: its track script fails
  one.wg = undefined;
  await until('node 2 holds the virtual address', () => holdsVip(two.ns), 60_000);
  const seconds = (Date.now() - stopped) / 1000;
  t.diagnostic(`failover: virtual address on the standby ${seconds.toFixed(1)} s after the MASTER's WireGuard stopped`);
  assert.ok(seconds < 60);
  assert.equal(await holdsVip(one.ns), false, 'the failed node released the address');
  await until('state files', async () => readFileSync(path.join(two.dir, 'state'), 'utf8').trim() === 'MASTER', 10_000);
  assert.equal(readFileSync(path.join(one.dir, 'state'), 'utf8').trim(), 'FAULT');
});
