// The HA pair in network namespaces. Two gates and a field device hang off a
// LAN (a bridge in its own namespace). Each gate has its own NEXUS_HOME, as
// two Pis would: the standby gets Guardian's state only through the rendered
// config sync (sync.sh on the MASTER, rsync over SSH to an sshd in the
// standby's namespace). Each gate runs the rendered keepalived.conf with the
// rendered track and notify scripts, WireGuard (wireguard-go), a real
// Guardian and dnsmasq. The device's tunnel dials the virtual address.
//
// Then the MASTER's WireGuard stops: its track script fails, the address
// moves, the standby's notify script applies the peers registered since its
// render, the device's tunnel re-handshakes with the standby (same gate key),
// and the token the MASTER issued before verifies against the standby's keys.
// The times are measured and printed. Service starting/stopping is left out
// (no systemd in a namespace): both gates run their services throughout.

import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { createLocalJWKSet, jwtVerify, type JSONWebKeySet } from 'jose';
import { NEXUS_BIN, ROOT, childEnv } from '../helpers/cli.ts';
import { NetnsLab, gateSettings, tempDir, until, type Spawned } from './helpers.ts';
import {
  addGateDevice, gateConfig, inNetns, renderCheckScript, renderDnsmasq, renderGate, renderKeepalived, renderNotifyScript, run,
  activePeers, type GateConfig, type WgInterface,
} from '../../src/gate/index.ts';
import { readRegistry } from '../../src/guardian/index.ts';
import { TOKEN_ALGORITHM, TOKEN_AUDIENCE } from '../../src/protocol/index.ts';

const lab = new NetnsLab(); // first: its cleanup stops the processes before the folders go
const id = randomBytes(3).toString('hex');
const work = tempDir();
const VIP = '192.168.251.100';
const LAN_NS = `nxl-${id}`;
const DEVICE = { ns: `nxkd-${id}`, lan: '192.168.251.101', wgIf: `nxkd${id}` };
const GUARDIAN = 'https://10.10.0.1:8444/guardian/v1';
const SSH_DIR = path.join(work, 'ssh');
// NEXUS_GATE_SYNC_SSH: a key of our own, the standby's host key pinned, nothing from ~/.ssh.
const SSH = `ssh -F none -i ${SSH_DIR}/client -o IdentitiesOnly=yes -o UserKnownHostsFile=${SSH_DIR}/known_hosts -o StrictHostKeyChecking=yes -o BatchMode=yes -o ConnectTimeout=10`;

interface Node {
  n: 1 | 2;
  ns: string;
  address: string;
  home: string;
  dir: string;
  cfg: GateConfig;
  wg?: WgInterface | undefined;
  guardian?: Spawned;
  dnsmasq?: Spawned;
  keepalived?: Spawned;
}

const nodes: [Node, Node] = ([1, 2] as const).map((n) => {
  const address = `192.168.251.1${n}`;
  const home = path.join(work, `home${n}`);
  const settings = gateSettings(home, {
    NEXUS_GATE_VIP: `${VIP}/24`,
    NEXUS_GATE_NODE_ADDRESS: address,
    NEXUS_GATE_PEER_ADDRESS: `192.168.251.1${3 - n}`,
    NEXUS_GATE_NODE_ROLE: n === 1 ? 'MASTER' : 'BACKUP',
    NEXUS_GATE_ENDPOINT: `${VIP}:51820`,
    NEXUS_GATE_SYNC_USER: 'root',
    NEXUS_GATE_SYNC_MINUTES: '1',
    NEXUS_GATE_INSTALL_DIR: ROOT,
    NEXUS_GATE_SYNC_SSH: SSH,
  });
  return { n, ns: `nxk${n}-${id}`, address, home, dir: path.join(work, `node${n}`), cfg: { ...gateConfig(settings), wgInterface: `nxk${n}${id}` } };
}) as [Node, Node];
const [one, two] = nodes;
const deviceCa = path.join(work, 'device-ca.crt');
const device = { code: '', id: '', secret: '', token: '', publicKey: '' };
/** The device registered on the MASTER after the standby rendered its wg0.conf. */
let lateKey = '';

/** What each gate's processes said, and what its track script says now (traced): the message of a timeout. */
async function logs(): Promise<string> {
  const out: string[] = [];
  for (const n of nodes) {
    if (!n.keepalived) continue;
    const check = await inNetns(n.ns, 'sh', ['-x', path.join(n.dir, 'nexus-gate-check.sh')]);
    out.push(
      `--- node ${n.n} (state ${state(n)}), track script exit ${check.code}:\n${check.stdout}${check.stderr}`,
      `--- keepalived ${n.n}:\n${n.keepalived.log()}`,
      `--- Guardian ${n.n}:\n${n.guardian?.log() ?? ''}`,
      `--- dnsmasq ${n.n}:\n${n.dnsmasq?.log() ?? ''}`,
      `--- wireguard ${n.n}: ${(await inNetns(n.ns, 'wg', ['show', n.cfg.wgInterface])).stdout || 'no interface'}`,
    );
  }
  const dev = await inNetns(DEVICE.ns, 'sh', ['-c', `wg show ${DEVICE.wgIf}; ip neigh show dev eth0`]);
  out.push(`--- device: ${dev.stdout}${dev.stderr}`);
  return out.join('\n');
}
const sec = (ms: number): string => (ms / 1000).toFixed(1);

/** The environment systemd gives sync.sh (EnvironmentFile=/etc/nexus/nexus.env), plus the state file of this node. */
const syncEnv = (node: Node, stateFile = path.join(node.dir, 'state')): NodeJS.ProcessEnv =>
  childEnv({ NEXUS_HOME: node.home, NEXUS_GATE_STATE_FILE: stateFile });
const syncScript = (node: Node): string => path.join(node.dir, 'render', 'usr/local/lib/nexus-gate/sync.sh');

/**
 * The sync timer (no systemd in a namespace): the rendered sync.sh every
 * `seconds`, first run now. Like OnUnitActiveSec, the interval counts from the
 * start of the previous run.
 */
function syncTimer(node: Node, seconds: number): { log: () => string; stop: () => void } {
  const stop = new AbortController();
  let log = '';
  void (async () => {
    while (!stop.signal.aborted) {
      const started = Date.now();
      const r = await inNetns(node.ns, 'sh', [syncScript(node)], { env: syncEnv(node), timeoutMs: 120_000 });
      log += `[${new Date(started).toISOString()} +${sec(Date.now() - started)} s] exit ${r.code}: ${r.stdout}${r.stderr}`;
      await sleep(Math.max(0, started + seconds * 1000 - Date.now()), undefined, { signal: stop.signal }).catch(() => undefined);
    }
  })();
  return { log: () => log, stop: () => stop.abort() };
}

async function holdsVip(ns: string): Promise<boolean> {
  return (await inNetns(ns, 'ip', ['-4', '-br', 'addr', 'show', 'eth0'])).stdout.includes(`${VIP}/24`);
}

const state = (node: Node): string => (existsSync(path.join(node.dir, 'state')) ? readFileSync(path.join(node.dir, 'state'), 'utf8').trim() : 'none');

/**
 * HTTPS to Guardian from a namespace, trusting only the given CA; the parsed JSON, or an error with curl's words.
 * Generous time by default: enrolment and tokens hash slowly on a loaded machine, and a retry would meet the rate limit.
 */
async function guardianJson(ns: string, url: string, ca: string, body?: object, maxTimeS = 60): Promise<Record<string, unknown>> {
  const args = ['-fsS', '--max-time', String(maxTimeS), '--cacert', ca, ...(body ? ['-H', 'content-type: application/json', '--data-binary', JSON.stringify(body)] : []), url];
  const r = await inNetns(ns, 'curl', args, { timeoutMs: (maxTimeS + 15) * 1000 });
  if (r.code !== 0) throw new Error(`curl ${url} in ${ns}: exit ${r.code} ${r.stderr.trim()}`);
  return JSON.parse(r.stdout) as Record<string, unknown>;
}

async function verifiesWith(jwks: Record<string, unknown>, token: string): Promise<string> {
  const { payload } = await jwtVerify(token, createLocalJWKSet(jwks as unknown as JSONWebKeySet), { audience: TOKEN_AUDIENCE, algorithms: [TOKEN_ALGORITHM] });
  return payload.sub!;
}

/** The rendered keepalived pieces and wg0.conf of one node, from its own home, into its scratch folder. */
async function renderNode(node: Node): Promise<void> {
  const rendered = path.join(node.dir, 'render');
  await renderGate(node.cfg, rendered, { node: process.execPath });
  const opts = { stateFile: path.join(node.dir, 'state'), wgInterface: node.cfg.wgInterface, wgConf: path.join(node.dir, 'wg0.conf'), manageServices: false };
  writeFileSync(path.join(node.dir, 'wg0.conf'), readFileSync(path.join(rendered, 'etc/wireguard/wg0.conf'), 'utf8'), { mode: 0o600 });
  writeFileSync(path.join(node.dir, 'keepalived.conf'), renderKeepalived(node.cfg, node.dir));
  writeFileSync(path.join(node.dir, 'nexus-gate-check.sh'), renderCheckScript(node.cfg, opts));
  writeFileSync(path.join(node.dir, 'nexus-gate-notify.sh'), renderNotifyScript(node.cfg, { node: process.execPath }, opts));
  writeFileSync(path.join(node.dir, 'dnsmasq.conf'), renderDnsmasq(node.cfg, activePeers(node.home)));
  for (const f of ['nexus-gate-check.sh', 'nexus-gate-notify.sh']) chmodSync(path.join(node.dir, f), 0o755);
}

/** WireGuard, Guardian and dnsmasq (what the track script checks), then keepalived. */
async function startNode(node: Node): Promise<void> {
  node.wg = await lab.tunnel(node.ns, node.cfg.wgInterface, readFileSync(path.join(node.dir, 'wg0.conf'), 'utf8'), '10.10.0.1/24');
  // On all addresses: the check script asks 127.0.0.1, devices ask 10.10.0.1 through the tunnel (a SAN of the certificate).
  node.guardian = lab.spawn(node.ns, [process.execPath, NEXUS_BIN, 'guardian'], childEnv({ NEXUS_HOME: node.home, NEXUS_GUARDIAN_HOST: '0.0.0.0', NEXUS_GUARDIAN_PORT: '8444', NEXUS_TLS_SANS: '10.10.0.1' }));
  node.dnsmasq = lab.spawn(node.ns, ['dnsmasq', '-k', `--conf-file=${path.join(node.dir, 'dnsmasq.conf')}`, `--pid-file=${path.join(node.dir, 'dnsmasq.pid')}`]);
  await until(`Guardian in ${node.ns}`, async () => (await inNetns(node.ns, 'curl', ['-fsk', '--max-time', '2', 'https://127.0.0.1:8444/guardian/v1/health'])).code === 0, 120_000, () => `its output:\n${node.guardian!.log()}`);
  // Line-buffered: its console log goes to a pipe, which stdio would otherwise flush only every few KB.
  node.keepalived = lab.spawn(node.ns, ['stdbuf', '-oL', '-eL', 'keepalived', '-n', '-l', '-P', '-f', path.join(node.dir, 'keepalived.conf'), '-p', path.join(node.dir, 'keepalived.pid'), '-r', path.join(node.dir, 'vrrp.pid')]);
}

before(async () => {
  // The LAN: a bridge in a namespace of its own (either gate may die), the gates and the device plugged in.
  await lab.netns(LAN_NS);
  await lab.sh(LAN_NS, 'ip link add br0 type bridge && ip link set br0 up');
  for (const node of nodes) {
    await lab.netns(node.ns);
    await lab.plug(LAN_NS, 'br0', `p${node.n}${id}`, node.ns, `${node.address}/24`);
    mkdirSync(node.dir, { recursive: true, mode: 0o700 });
  }
  await lab.netns(DEVICE.ns);
  await lab.plug(LAN_NS, 'br0', `pd${id}`, DEVICE.ns, `${DEVICE.lan}/24`);

  // The standby's sshd: a throwaway host key, our key authorised. The standby's home is mounted where the
  // MASTER's is (its own mount namespace): on real gates both homes have the same path, which sync.sh relies on.
  mkdirSync(SSH_DIR, { mode: 0o700 });
  for (const key of ['host', 'client']) assert.equal((await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', key, '-f', path.join(SSH_DIR, key)])).code, 0);
  writeFileSync(path.join(SSH_DIR, 'authorized_keys'), readFileSync(path.join(SSH_DIR, 'client.pub')));
  writeFileSync(path.join(SSH_DIR, 'known_hosts'), `${two.address} ${readFileSync(path.join(SSH_DIR, 'host.pub'), 'utf8')}`);
  writeFileSync(path.join(SSH_DIR, 'sshd_config'), [
    `ListenAddress ${two.address}`, `HostKey ${SSH_DIR}/host`, `AuthorizedKeysFile ${SSH_DIR}/authorized_keys`, `PidFile ${SSH_DIR}/sshd.pid`,
    'PermitRootLogin prohibit-password', 'PasswordAuthentication no', 'KbdInteractiveAuthentication no', 'UsePAM no', 'StrictModes no', 'LogLevel VERBOSE', '',
  ].join('\n'));
  mkdirSync(one.home, { mode: 0o700 });
  mkdirSync(two.home, { mode: 0o700 });
  const sshd = lab.spawn(two.ns, ['unshare', '--mount', 'sh', '-c', `mount --bind ${two.home} ${one.home} && exec /usr/sbin/sshd -D -e -f ${SSH_DIR}/sshd_config`]);
  await until('sshd on the standby', async () => (await inNetns(one.ns, 'sh', ['-c', `${SSH} root@${two.address} true`])).code === 0, 60_000, () => `sshd:\n${sshd.log()}`);

  // The MASTER: a device registered, the files rendered from its home, its services and keepalived.
  const added = await addGateDevice(gateSettings(one.home, { NEXUS_GATE_ENDPOINT: `${VIP}:51820` }), { name: 'ipad-1', groups: [] });
  Object.assign(device, { code: added.enrollmentCode, publicKey: added.publicKey });
  await renderNode(one);
  await startNode(one);
  writeFileSync(deviceCa, readFileSync(path.join(one.home, 'tls', 'ca.crt'))); // what the device was given to trust
  await lab.tunnel(DEVICE.ns, DEVICE.wgIf, added.config, `${added.device.wg_ip}/32`, '10.10.0.0/24');
});

test('the preferred MASTER takes the virtual address; the device enrols with Guardian through the tunnel', async () => {
  await until('node 1 holds the virtual address', () => holdsVip(one.ns), 60_000, logs);
  // keepalived runs the notify script after adding the address: on a loaded machine that takes a moment.
  await until('the notify script records MASTER', async () => state(one) === 'MASTER', 30_000, logs);
  // Health first (not rate-limited, so it may be polled); then one enrolment: the code works once.
  await until('the device reaches Guardian through the tunnel', async () => (await guardianJson(DEVICE.ns, `${GUARDIAN}/health`, deviceCa, undefined, 3), true), 60_000, logs);
  const enrolled = await guardianJson(DEVICE.ns, `${GUARDIAN}/enroll`, deviceCa, { enrollment_code: device.code, device_name: 'ipad-1' });
  Object.assign(device, { id: enrolled.device_id, secret: enrolled.device_secret });
  device.token = String((await guardianJson(DEVICE.ns, `${GUARDIAN}/token`, deviceCa, { device_id: device.id, device_secret: device.secret })).access_token);
  assert.equal(await verifiesWith(await guardianJson(DEVICE.ns, `${GUARDIAN}/jwks.json`, deviceCa), device.token), device.id);
});

test('config sync: on a BACKUP sync.sh sends nothing; on the MASTER it sends registry, keys and TLS authority over SSH', async (t) => {
  // A gate that is not MASTER must never overwrite the other's state.
  const backupState = path.join(work, 'backup-state');
  writeFileSync(backupState, 'BACKUP\n');
  const skipped = await inNetns(one.ns, 'sh', [syncScript(one)], { env: syncEnv(one, backupState), timeoutMs: 120_000 });
  assert.equal(skipped.code, 0, skipped.stderr);
  assert.match(skipped.stdout, /this gate is BACKUP, only the MASTER sends/);
  assert.equal(existsSync(path.join(two.home, 'guardian')), false, 'nothing reached the standby');

  // The MASTER's run: exactly what the timer's service runs.
  writeFileSync(path.join(two.home, 'not-synced'), 'x'); // the rest of the standby's home is left alone
  const started = Date.now();
  const sent = await inNetns(one.ns, 'sh', [syncScript(one)], { env: syncEnv(one), timeoutMs: 120_000 });
  assert.equal(sent.code, 0, `sync.sh: ${sent.stdout}${sent.stderr}`);
  assert.match(sent.stdout, new RegExp(`sent to root@${two.address}`));
  for (const f of ['guardian/registry.json', 'guardian/keys.json', 'guardian/wg-gate.key', 'tls/ca.crt', 'tls/ca.key', 'tls/server.crt', 'tls/server.key']) {
    assert.equal(readFileSync(path.join(two.home, f), 'utf8'), readFileSync(path.join(one.home, f), 'utf8'), f);
  }
  assert.ok(existsSync(path.join(two.home, 'not-synced')));
  assert.equal(existsSync(path.join(one.home, 'not-synced')), false, 'the bind mount stayed inside sshd\'s namespace');
  const interval = /^OnUnitActiveSec=(\d+)min$/m.exec(readFileSync(path.join(one.dir, 'render', 'etc/systemd/system/nexus-gate-sync.timer'), 'utf8'));
  assert.equal(interval?.[1], '1', 'NEXUS_GATE_SYNC_MINUTES sets the timer');
  t.diagnostic(`config sync: one run of sync.sh took ${sec(Date.now() - started)} s`);

  // The standby renders from what it received (same gate key, same peers), starts, and takes the BACKUP role.
  await renderNode(two);
  assert.equal(readFileSync(path.join(two.dir, 'wg0.conf'), 'utf8'), readFileSync(path.join(one.dir, 'wg0.conf'), 'utf8'), 'both gates render the same wg0.conf');
  await startNode(two);
  await until('node 2 is BACKUP', async () => state(two) === 'BACKUP', 60_000, logs);
  assert.equal(await holdsVip(two.ns), false);
  // Its own sync.sh, with the state keepalived gave it: nothing sent (there is no sshd on node 1 to send to).
  const standby = await inNetns(two.ns, 'sh', [syncScript(two)], { env: syncEnv(two), timeoutMs: 120_000 });
  assert.equal(standby.code, 0, standby.stderr);
  assert.match(standby.stdout, /this gate is BACKUP, only the MASTER sends/);
});

test('a registration on the MASTER reaches the standby within one sync interval, and the standby accepts that device', async (t) => {
  const seconds = Number(/^OnUnitActiveSec=(\d+)min$/m.exec(readFileSync(path.join(one.dir, 'render', 'etc/systemd/system/nexus-gate-sync.timer'), 'utf8'))![1]) * 60;
  // The timer (no systemd in a namespace): the rendered sync.sh every OnUnitActiveSec, first run now.
  const timer = syncTimer(one, seconds);
  try {
    await until('the first timer run', async () => timer.log().includes('sent to'), 120_000, timer.log);

    const b = await addGateDevice(gateSettings(one.home, { NEXUS_GATE_ENDPOINT: `${VIP}:51820` }), { name: 'ipad-2', groups: ['ward-b'] });
    lateKey = b.publicKey;
    const enrolled = await guardianJson(one.ns, 'https://127.0.0.1:8444/guardian/v1/enroll', path.join(one.home, 'tls', 'ca.crt'), { enrollment_code: b.enrollmentCode });
    const masterToken = String((await guardianJson(one.ns, 'https://127.0.0.1:8444/guardian/v1/token', path.join(one.home, 'tls', 'ca.crt'), { device_id: enrolled.device_id, device_secret: enrolled.device_secret })).access_token);

    const registered = Date.now(); // the device is active on the MASTER: registered and enrolled
    const onStandby = (): boolean => readRegistry(two.home).devices.some((d) => d.device_id === enrolled.device_id && d.status === 'active');
    // One interval, plus a run of sync.sh (seconds on a quiet machine, half a minute on a loaded CI machine).
    const bound = (seconds + 120) * 1000;
    await until('ipad-2 in the standby\'s registry', async () => onStandby(), bound, () => `timer:\n${timer.log()}`);
    const took = Date.now() - registered;
    const runs = [...timer.log().matchAll(/\+([\d.]+) s\] exit/g)].map((m) => `${m[1]} s`).join(', ');
    t.diagnostic(`config sync: a registration on the MASTER reached the standby after ${sec(took)} s (sync interval ${seconds} s; sync.sh runs took ${runs})`);
    assert.ok(took < bound);

    // The standby's Guardian knows the device: it issues a token for its credentials, and its keys verify the MASTER's token.
    const ca = path.join(two.home, 'tls', 'ca.crt');
    const fresh = await guardianJson(two.ns, 'https://127.0.0.1:8444/guardian/v1/token', ca, { device_id: enrolled.device_id, device_secret: enrolled.device_secret });
    const jwks = await guardianJson(two.ns, 'https://127.0.0.1:8444/guardian/v1/jwks.json', ca);
    assert.equal(await verifiesWith(jwks, String(fresh.access_token)), enrolled.device_id);
    assert.equal(await verifiesWith(jwks, masterToken), enrolled.device_id);
  } finally {
    timer.stop();
  }
});

test('failover: the MASTER\'s WireGuard stops; address, tunnel and token work on the standby within 60 s', async (t) => {
  assert.ok(device.token && lateKey, 'needs the enrolment and registration of the tests before');
  // Before: the device's traffic goes to node 1.
  await guardianJson(DEVICE.ns, `${GUARDIAN}/health`, deviceCa);
  const handshake = async (node: Node): Promise<number> => {
    const r = await inNetns(node.ns, 'wg', ['show', node.cfg.wgInterface, 'latest-handshakes']);
    return Number(r.stdout.split('\n').find((l) => l.startsWith(device.publicKey))?.split('\t')[1] ?? 0);
  };
  assert.ok((await handshake(one)) > 0);
  // Node 1 answers from the virtual address, even after its notify script's `gate apply`: had the device roamed
  // to node 1's own address, it would never follow the virtual address to the standby.
  const endpoint = (await inNetns(DEVICE.ns, 'wg', ['show', DEVICE.wgIf, 'endpoints'])).stdout.trim();
  assert.ok(endpoint.endsWith(`\t${VIP}:51820`), `the device's endpoint: ${endpoint}`);
  assert.equal(await handshake(two), 0, 'the standby has not seen the device yet');
  const livePeers = async (node: Node): Promise<string> => (await inNetns(node.ns, 'wg', ['show', node.cfg.wgInterface, 'peers'])).stdout;
  assert.ok(!(await livePeers(two)).includes(lateKey), 'ipad-2 came after the standby rendered wg0.conf');

  const stopped = Date.now();
  await one.wg!.stop(); // the MASTER's WireGuard goes away: its track script fails
  one.wg = undefined;
  await until('node 2 holds the virtual address', () => holdsVip(two.ns), 60_000, logs);
  const vip = Date.now() - stopped;
  // The device keeps knocking (as an app does); WireGuard re-handshakes once its packets go unanswered.
  await until('the device reaches Guardian through the tunnel again', async () => (await guardianJson(DEVICE.ns, `${GUARDIAN}/health`, deviceCa, undefined, 3), true), 90_000, logs);
  const tunnel = Date.now() - stopped;
  assert.ok((await handshake(two)) > 0, 'the tunnel now ends on the standby');
  // The token from before the failover verifies against the keys Guardian now publishes at 10.10.0.1, and a new one is issued.
  const jwks = await guardianJson(DEVICE.ns, `${GUARDIAN}/jwks.json`, deviceCa);
  assert.equal(await verifiesWith(jwks, device.token), device.id);
  const fresh = await guardianJson(DEVICE.ns, `${GUARDIAN}/token`, deviceCa, { device_id: device.id, device_secret: device.secret });
  assert.equal(await verifiesWith(jwks, String(fresh.access_token)), device.id);
  const token = Date.now() - stopped;

  const line = `failover (after the MASTER's WireGuard stopped): virtual address on the standby ${sec(vip)} s, device tunnel to Guardian ${sec(tunnel)} s, old token verified + new token issued ${sec(token)} s`;
  t.diagnostic(line);
  assert.ok(token < 60_000, line);
  assert.equal(await holdsVip(one.ns), false, 'the failed node released the address');
  await until('node 2 records MASTER', async () => state(two) === 'MASTER', 30_000, logs);
  // FAULT while its check fails; then BACKUP, as its standby check only asks whether the services could start.
  await until('node 1 records FAULT or BACKUP', async () => /^(FAULT|BACKUP)$/.test(state(one)), 30_000, logs);

  // The notify script ran `nexus gate apply` on the new MASTER: the device registered since its render has its peer.
  await until('ipad-2 on the new MASTER\'s interface', async () => (await livePeers(two)).includes(lateKey), 60_000, logs);
  assert.ok(readFileSync(path.join(two.dir, 'wg0.conf'), 'utf8').includes(`PublicKey = ${lateKey}`), 'and in its wg0.conf');

  // The failed node's timer keeps firing; it sends nothing (it would overwrite the new MASTER's state).
  const failed = await inNetns(one.ns, 'sh', [syncScript(one)], { env: syncEnv(one), timeoutMs: 120_000 });
  assert.equal(failed.code, 0, failed.stderr);
  assert.match(failed.stdout, /this gate is (FAULT|BACKUP), only the MASTER sends/);
});
