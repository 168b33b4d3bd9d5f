// `nexus gate render` and `nexus gate check`: the files say what the
// registry says, and the real tools accept them (wg in a scratch namespace,
// ufw in a scratch namespace, dnsmasq --test, keepalived -t,
// systemd-analyze verify); a broken file is caught.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { nexus } from '../helpers/cli.ts';
import { HA_ENV, gateSettings, tempDir } from './helpers.ts';
import { addGateDevice, addGatePeer, checkGate, gateConfig, renderGate, snapshotGuardian } from '../../src/gate/index.ts';
import { ensureSigningKey, revokeDevice } from '../../src/guardian/index.ts';
import { ensureTls } from '../../src/tls/index.ts';

const home = tempDir();
const settings = gateSettings(home, HA_ENV);
const out = tempDir();

test('render: wg0.conf with every active peer as /32, client configs, firewall, DNS, keepalived, sync, units', async () => {
  const server = await addGatePeer(settings, { name: 'nexus-server', role: 'server' });
  await addGatePeer(settings, { name: 'dev_laptop', role: 'dev' });
  const ipad = await addGateDevice(settings, { name: 'ipad-1', groups: [] });
  await addGateDevice(settings, { name: 'ipad-gone', groups: [] });
  await revokeDevice(home, 'ipad-gone');
  const r = await renderGate(gateConfig(settings), out, { node: process.execPath });
  assert.deepEqual(r.warnings, []);
  assert.equal(r.peers, 3);

  const wg = readFileSync(path.join(out, 'etc/wireguard/wg0.conf'), 'utf8');
  assert.equal(statSync(path.join(out, 'etc/wireguard/wg0.conf')).mode & 0o777, 0o600);
  assert.match(wg, /^Address = 10\.10\.0\.1\/24$/m);
  assert.match(wg, /^ListenPort = 51820$/m);
  assert.deepEqual([...wg.matchAll(/^AllowedIPs = (.*)$/gm)].map((m) => m[1]), ['10.10.0.10/32', '10.10.0.20/32', '10.10.0.100/32']);
  assert.ok(wg.includes(`PublicKey = ${server.peer.wg_public_key}`) && wg.includes(`PublicKey = ${ipad.publicKey}`));
  assert.ok(!wg.includes('10.10.0.101'), 'the revoked device is out');
  assert.deepEqual(readdirSync(path.join(out, 'clients')).sort(), ['dev-laptop.conf', 'ipad-1.conf', 'nexus-server.conf']);
  assert.doesNotMatch(readFileSync(path.join(out, 'clients/ipad-1.conf'), 'utf8'), /^PrivateKey/m);

  const ufw = readFileSync(path.join(out, 'usr/local/lib/nexus-gate/ufw-gate.sh'), 'utf8');
  assert.match(ufw, /^ufw default deny incoming$/m);
  assert.match(ufw, /^ufw default deny routed$/m);
  assert.equal([...ufw.matchAll(/^ufw allow in on eth0 /gm)].length, 3, 'from outside: WireGuard, and VRRP + SSH from the other gate');
  assert.match(ufw, /^ufw allow in on eth0 to any port 51820 proto udp/m);
  assert.match(ufw, /^ufw route allow in on wg0 out on wg0 from 10\.10\.0\.128\/26 to 10\.10\.0\.10 port 8443 proto tcp/m);
  assert.doesNotMatch(ufw, /from 10\.10\.0\.(100|104|112|128|192)\/\d+ to 10\.10\.0\.10 port (5432|22) /, 'field devices never reach PostgreSQL or SSH');
  assert.match(ufw, /from 10\.10\.0\.20\/30 to 10\.10\.0\.10 port 5432 proto tcp/);
  assert.match(ufw, /from 10\.10\.0\.20\/30 to 10\.10\.0\.10 port 22 proto tcp/);
  const serverUfw = readFileSync(path.join(out, 'server/ufw-server.sh'), 'utf8');
  assert.doesNotMatch(serverUfw, /on eth0/);
  assert.match(serverUfw, /^ufw allow in on wg0 from 10\.10\.0\.100\/30 to any port 8443 proto tcp/m);

  const dns = readFileSync(path.join(out, 'etc/dnsmasq.d/nexus.conf'), 'utf8');
  assert.match(dns, /^host-record=nexus-server\.home\.arpa,10\.10\.0\.10$/m);
  assert.match(dns, /^host-record=dev-laptop\.home\.arpa,10\.10\.0\.20$/m);
  assert.match(dns, /^host-record=sync\.home\.arpa,10\.10\.0\.10$/m);
  assert.doesNotMatch(dns, /ipad-gone/);

  const ka = readFileSync(path.join(out, 'etc/keepalived/keepalived.conf'), 'utf8');
  assert.match(ka, /unicast_src_ip 192\.168\.250\.11/);
  assert.match(ka, /unicast_peer \{\n\s+192\.168\.250\.12/);
  assert.match(ka, /192\.168\.250\.100\/24 dev eth0/);
  assert.match(ka, /priority 150/);
  const check = readFileSync(path.join(out, 'etc/keepalived/nexus-gate-check.sh'), 'utf8');
  assert.match(check, /wg show/);
  assert.match(check, /guardian\/v1\/health/);
  assert.match(check, /pidof dnsmasq/);
  const notify = readFileSync(path.join(out, 'etc/keepalived/nexus-gate-notify.sh'), 'utf8');
  assert.match(notify, /MASTER\) systemctl start wg-quick@wg0\.service dnsmasq\.service nexus-guardian\.service && apply_peers/);
  assert.match(notify, /nexus\.js gate apply --interface "\$WG_IF" --conf "\$WG_CONF"/);
  const sync = readFileSync(path.join(out, 'usr/local/lib/nexus-gate/sync.sh'), 'utf8');
  assert.match(sync, /only the MASTER sends/);
  assert.match(sync, /gate snapshot --out/);
  assert.match(sync, /rsync -a --delete-after --exclude '\.\*' -e "\$SSH" "\$snap\/guardian" "\$snap\/tls" "nexus@192\.168\.250\.12:/);
  assert.match(sync, /^SSH='ssh -o BatchMode=yes -o ConnectTimeout=10'$/m);
  assert.match(readFileSync(path.join(out, 'etc/systemd/system/nexus-gate-sync.timer'), 'utf8'), /^OnUnitActiveSec=5min$/m);
});

test('check: every rendered file passes the real tools', async () => {
  const results = await checkGate(out);
  const failed = results.filter((r) => !r.ok);
  assert.deepEqual(failed, []);
  const tools = new Set(results.map((r) => r.tool.replace(/ \(.*/, '')));
  for (const t of ['wg-quick strip + wg setconf', 'ufw + iptables-restore --test', 'dnsmasq --test', 'keepalived -t', 'systemd-analyze verify']) assert.ok(tools.has(t), t);
  assert.equal(results.filter((r) => r.tool.startsWith('wg-quick')).length, 4);
  assert.match(results.find((r) => r.file.endsWith('ufw-gate.sh') && r.tool.startsWith('ufw'))!.detail, /^\d+ rules loaded$/);
});

test('check catches broken files (wg, dnsmasq, keepalived, units) and the CLI exits 1', async () => {
  const broken = tempDir();
  await renderGate(gateConfig(settings), broken, { node: process.execPath });
  appendFileSync(path.join(broken, 'etc/wireguard/wg0.conf'), '[Peer]\nPublicKey = not-a-key\n');
  appendFileSync(path.join(broken, 'etc/dnsmasq.d/nexus.conf'), 'no-such-option=1\n');
  appendFileSync(path.join(broken, 'etc/keepalived/keepalived.conf'), 'vrrp_instance {\n');
  writeFileSync(path.join(broken, 'etc/systemd/system/nexus-guardian.service'), '[Service]\nExecStart=relative/path\n');
  const results = await checkGate(broken);
  const failed = results.filter((r) => !r.ok).map((r) => r.tool.replace(/ \(.*/, '').replace(' + wg setconf', ''));
  assert.deepEqual(failed.sort(), ['dnsmasq --test', 'keepalived -t', 'systemd-analyze verify', 'wg-quick strip']);
  const cli = await nexus(['gate', 'check', '--dir', broken], { NEXUS_HOME: home });
  assert.equal(cli.code, 1);
  assert.match(cli.stdout, /^FAIL etc\/wireguard\/wg0\.conf/m);
});

test('the CLI renders and checks; a `local` zone is warned about; no HA settings, no keepalived', async () => {
  const dir = tempDir();
  const r = await nexus(['gate', 'render', '--out', dir], { NEXUS_HOME: home, NEXUS_DNS_ZONE: 'local' });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /iOS and macOS resolve \.local by mDNS only/);
  assert.match(r.stderr, /keepalived and config sync are not rendered/);
  assert.match(readFileSync(path.join(dir, 'etc/dnsmasq.d/nexus.conf'), 'utf8'), /^host-record=gate\.local,10\.10\.0\.1$/m);
  const check = await nexus(['gate', 'check', '--dir', dir, '--json'], { NEXUS_HOME: home });
  assert.equal(check.code, 0, check.stdout + check.stderr);
  assert.ok(JSON.parse(check.stdout).every((x: { ok: boolean }) => x.ok));
});

test('snapshot: Guardian\'s files and the TLS authority, taken under their locks, without lock files', async () => {
  await ensureTls(home);
  await ensureSigningKey(home);
  const snap = tempDir();
  const files = await snapshotGuardian(home, snap);
  for (const f of ['guardian/registry.json', 'guardian/wg-gate.key', 'guardian/keys.json', 'tls/ca.crt', 'tls/ca.key', 'tls/server.crt', 'tls/server.key']) assert.ok(files.includes(f), f);
  assert.equal(readFileSync(path.join(snap, 'guardian/registry.json'), 'utf8'), readFileSync(path.join(home, 'guardian', 'registry.json'), 'utf8'));
  assert.equal(readFileSync(path.join(snap, 'tls/ca.crt'), 'utf8'), readFileSync(path.join(home, 'tls', 'ca.crt'), 'utf8'));
  assert.equal(statSync(path.join(snap, 'guardian/wg-gate.key')).mode & 0o777, 0o600);
  for (const dir of ['guardian', 'tls']) assert.ok(!readdirSync(path.join(snap, dir)).some((f) => f.startsWith('.')), dir);
});
