// The proof in network namespaces: a gate, a server, a dev machine and two
// field devices, joined by veth links on a bridge in the gate namespace. The
// tunnels come up from the rendered configs (wireguard-go: this machine's
// kernel has no WireGuard module), the rendered UFW rules run (scratch UFW
// in each namespace), and connections show what each role may reach. Then a
// device is revoked and `nexus gate apply` removes its tunnel live while the
// others keep their sessions. Only addresses inside these namespaces are used.

import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { HA_ENV, NetnsLab, gateSettings, tempDir } from './helpers.ts';
import { addGateDevice, addGatePeer, applyGate, gateConfig, inNetns, renderGate, scratchUfw, type GateConfig } from '../../src/gate/index.ts';
import { revokeDevice } from '../../src/guardian/index.ts';

const lab = new NetnsLab(); // first: its cleanup stops the processes before the folders go
const id = randomBytes(3).toString('hex');
const NS = { gate: `nxg-${id}`, server: `nxs-${id}`, dev: `nxd-${id}`, f1: `nxf1-${id}`, f2: `nxf2-${id}` };
const LAN = { gate: '192.168.250.1', server: '192.168.250.10', dev: '192.168.250.20', f1: '192.168.250.101', f2: '192.168.250.102' };
const home = tempDir();
const work = tempDir();
const settings = gateSettings(home, { ...HA_ENV, NEXUS_GATE_ENDPOINT: `${LAN.gate}:51820` });
const cfg: GateConfig = { ...gateConfig(settings), wgInterface: `nxg${id}`, lanInterface: 'br0' };
const LISTEN = fileURLToPath(new URL('./fixtures/listen.mjs', import.meta.url));
const keys: Record<string, string> = {};

/** Does a TCP connection from `ns` to host:port get the listener's answer within the timeout? */
async function reaches(ns: string, host: string, port: number, timeoutS = 2): Promise<boolean> {
  const r = await inNetns(ns, 'timeout', [String(timeoutS), 'bash', '-c', `exec 3<>/dev/tcp/${host}/${port} && head -n1 <&3`]);
  return r.code === 0 && r.stdout.trim() === String(port);
}

async function eventually(ns: string, host: string, port: number): Promise<boolean> {
  for (let i = 0; i < 10; i++) if (await reaches(ns, host, port, 3)) return true;
  return false;
}

async function listen(ns: string, host: string, ports: number[]): Promise<void> {
  const child = lab.spawn(ns, [process.execPath, LISTEN, host, ...ports.map(String)]);
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (d) => String(d).includes('ready') && resolve());
    child.once('exit', (code) => reject(new Error(`listener in ${ns} exited ${code}: ${child.log()}`)));
  });
}

async function firewall(ns: string, script: string): Promise<void> {
  const env = scratchUfw(path.join(work, `ufw-${ns}`));
  // ufw is Python started once per rule: minutes on a loaded 2-core machine.
  const timeoutMs = 300_000;
  const started = Date.now();
  const r = await inNetns(ns, 'sh', [script], { env, timeoutMs });
  const said = `${r.stdout}${r.stderr}`.split('\n').filter((l) => !l.includes('is world writable')).slice(-30).join('\n');
  assert.equal(r.code, 0, `${path.basename(script)} in ${ns}: ${r.code === null ? `killed after ${timeoutMs / 1000} s` : `exit ${r.code}`} (${((Date.now() - started) / 1000).toFixed(0)} s)\n${said}`);
}

before(async () => {
  // Namespaces; a bridge in the gate namespace is its LAN; each other namespace hangs off it by a veth pair.
  for (const ns of Object.values(NS)) await lab.netns(ns);
  await lab.sh(NS.gate, `ip link add br0 type bridge && ip addr add ${LAN.gate}/24 dev br0 && ip link set br0 up && sysctl -qw net.ipv4.ip_forward=1`);
  for (const [role, ns] of Object.entries(NS)) {
    if (role !== 'gate') await lab.plug(NS.gate, 'br0', `p${role}`, ns, `${LAN[role as keyof typeof LAN]}/24`);
  }

  // The registry: a server, a dev machine, two field devices; key pairs made by nexus, private keys kept by the test only.
  const server = await addGatePeer(settings, { name: 'nexus-server', role: 'server' });
  const dev = await addGatePeer(settings, { name: 'laptop', role: 'dev' });
  const f1 = await addGateDevice(settings, { name: 'ipad-1', groups: [] });
  const f2 = await addGateDevice(settings, { name: 'ipad-2', groups: [] });
  Object.assign(keys, { f1: f1.publicKey, f2: f2.publicKey });
  const out = path.join(work, 'render');
  await renderGate(cfg, out, { node: process.execPath });

  // Tunnels from the rendered gate config and the configs `add` printed.
  await lab.tunnel(NS.gate, cfg.wgInterface, readFileSync(path.join(out, 'etc/wireguard/wg0.conf'), 'utf8'), '10.10.0.1/24');
  await lab.tunnel(NS.server, `nxs${id}`, server.config, '10.10.0.10/32', '10.10.0.0/24');
  await lab.tunnel(NS.dev, `nxd${id}`, dev.config, '10.10.0.20/32', '10.10.0.0/24');
  await lab.tunnel(NS.f1, `nxa${id}`, f1.config, '10.10.0.100/32', '10.10.0.0/24');
  await lab.tunnel(NS.f2, `nxb${id}`, f2.config, '10.10.0.101/32', '10.10.0.0/24');

  // Rendered firewalls, then stand-in services on every port that matters (on all addresses: the firewall decides).
  await firewall(NS.gate, path.join(out, 'usr/local/lib/nexus-gate/ufw-gate.sh'));
  // The server's script names the tunnel interface as the gate's does (wg0 on real machines); here each namespace has its own name.
  const serverScript = path.join(work, 'ufw-server.sh');
  writeFileSync(serverScript, readFileSync(path.join(out, 'server/ufw-server.sh'), 'utf8').split(` on ${cfg.wgInterface} `).join(` on nxs${id} `));
  await firewall(NS.server, serverScript);
  await listen(NS.gate, '0.0.0.0', [8444, 22, 8443]);
  await listen(NS.server, '0.0.0.0', [8443, 5432, 22]);
});

test('a field device reaches the sync API and Guardian through the tunnel, and nothing else', async () => {
  assert.ok(await eventually(NS.f1, '10.10.0.10', 8443), 'sync API on the server, routed by the gate');
  assert.ok(await reaches(NS.f1, '10.10.0.1', 8444), 'Guardian on the gate');
  assert.equal(await reaches(NS.f1, '10.10.0.10', 5432), false, 'no PostgreSQL for field devices');
  assert.equal(await reaches(NS.f1, '10.10.0.10', 22), false, 'no SSH on the server');
  assert.equal(await reaches(NS.f1, '10.10.0.1', 22), false, 'no SSH on the gate');
  assert.equal(await reaches(NS.f1, LAN.gate, 8444), false, 'from outside the tunnel: nothing but WireGuard');
  assert.equal(await reaches(NS.f1, LAN.gate, 8443), false);
});

test('a dev machine also reaches PostgreSQL and SSH', async () => {
  assert.ok(await eventually(NS.dev, '10.10.0.10', 5432));
  assert.ok(await reaches(NS.dev, '10.10.0.10', 22));
  assert.ok(await reaches(NS.dev, '10.10.0.10', 8443));
  assert.ok(await reaches(NS.dev, '10.10.0.1', 22));
});

test('revoke + nexus gate apply: the revoked device loses its tunnel, the others keep their sessions', async () => {
  assert.ok(await eventually(NS.f2, '10.10.0.10', 8443));
  const transfer = async (): Promise<Map<string, number>> => {
    const r = await inNetns(NS.gate, 'wg', ['show', cfg.wgInterface, 'transfer']);
    return new Map(r.stdout.trim().split('\n').map((l) => l.split('\t')).map(([k, rx]) => [k!, Number(rx)]));
  };
  const before = await transfer();
  await revokeDevice(home, 'ipad-2');
  const applied = await applyGate(cfg, { iface: cfg.wgInterface, netns: NS.gate, confPath: path.join(work, `${cfg.wgInterface}.conf`) });
  assert.equal(applied.removed.length, 1);
  assert.equal(applied.removed[0], keys.f2);
  assert.equal(applied.peers, 3);
  const afterApply = await transfer();
  assert.ok(!afterApply.has(keys.f2!), 'the revoked peer is gone from the live interface');
  assert.ok(afterApply.get(keys.f1!)! >= before.get(keys.f1!)!, 'ipad-1 kept its peer state: its counters did not restart');
  assert.equal(await reaches(NS.f2, '10.10.0.10', 8443, 3), false, 'the revoked device is cut off');
  assert.ok(await reaches(NS.f1, '10.10.0.10', 8443), 'the other device still works');
});
