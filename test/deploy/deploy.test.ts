// The deployment files pass the tools that will read them on the server:
// systemd-analyze verify for the units, sshd -t / -T for the SSH drop-in,
// fail2ban-client --test for the jail. The Debian packages come from
// scripts/debian-packages.txt (installed by `npm test`).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, cpSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ROOT } from '../helpers/cli.ts';
import { scratch } from '../backup/helpers.ts';

const DEPLOY = path.join(ROOT, 'deploy');
const UNITS = ['sync', 'etl-staging', 'etl-marts', 'crawl', 'backup', 'health', 'clarity', 'guardian'].map((s) => `nexus-${s}.service`);

function tool(exe: string, args: string[]): { code: number; out: string } {
  const r = spawnSync(exe, args, { encoding: 'utf8' });
  if (r.error) assert.fail(`${exe} is missing (${r.error.message}); it is listed in scripts/debian-packages.txt, which npm test installs`);
  return { code: r.status ?? 1, out: `${r.stdout}${r.stderr}` };
}

/** `Key=value` lines of a unit file, later values appended. */
function directives(file: string): Map<string, string[]> {
  const m = new Map<string, string[]>();
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const kv = /^([A-Za-z]+)=(.*)$/.exec(line.trim());
    if (kv) m.set(kv[1]!, [...(m.get(kv[1]!) ?? []), kv[2]!]);
  }
  return m;
}

test('every service has a hardened unit that passes systemd-analyze verify', () => {
  const dir = path.join(DEPLOY, 'systemd');
  assert.deepEqual(readdirSync(dir).filter((f) => f.endsWith('.service')).sort(), [...UNITS].sort());
  for (const unit of UNITS) {
    const d = directives(path.join(dir, unit));
    const one = (k: string) => (d.get(k) ?? []).join(' ');
    assert.equal(one('User'), 'nexus', unit);
    assert.equal(one('NoNewPrivileges'), 'yes', unit);
    assert.equal(one('ProtectSystem'), 'strict', unit);
    assert.match(one('ReadWritePaths'), /^\/var\/lib\/nexus\b/, unit);
    assert.equal(one('PrivateTmp'), 'yes', unit);
    assert.equal(one('Restart'), 'on-failure', unit);
    assert.equal(one('EnvironmentFile'), '/etc/nexus/nexus.env', unit);
    assert.equal(one('ExecStart'), `/usr/bin/node /opt/nexus/bin/nexus.js ${unit.replace(/^nexus-|\.service$/g, '')}`, unit);
    assert.equal(d.get('TimeoutStopSec')?.length, 1, `${unit}: one TimeoutStopSec`);
  }
  const r = tool('systemd-analyze', ['verify', ...UNITS.map((u) => path.join(dir, u))]);
  assert.equal(r.code, 0, r.out);
  assert.doesNotMatch(r.out, /nexus-/, r.out);
});

test('systemd-analyze verify does reject a broken unit (the check is not vacuous)', () => {
  const dir = scratch('units');
  const broken = path.join(dir, 'nexus-broken.service');
  writeFileSync(broken, readFileSync(path.join(DEPLOY, 'systemd', 'nexus-sync.service'), 'utf8').replace('Type=simple', 'Type=simpel'));
  const r = tool('systemd-analyze', ['verify', broken]);
  assert.match(r.out, /Failed to parse service type|Unknown/i, r.out);
});

function sshdConfig(dir: string, dropIn: string): string {
  const key = path.join(dir, 'host_ed25519');
  if (!existsSync(key)) tool('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', key]);
  const cfg = path.join(dir, `sshd_config.${path.basename(dropIn)}`);
  writeFileSync(cfg, `Include ${dropIn}\nHostKey ${key}\n`);
  return cfg;
}

test('the SSH drop-in passes sshd -t and makes logins key-only', () => {
  mkdirSync('/run/sshd', { recursive: true, mode: 0o755 }); // sshd -t insists on its privilege separation folder
  const dir = scratch('sshd');
  const dropIn = path.join(DEPLOY, 'ssh', '50-nexus-hardening.conf');
  const cfg = sshdConfig(dir, dropIn);
  const t = tool('/usr/sbin/sshd', ['-t', '-f', cfg]);
  assert.equal(t.code, 0, t.out);
  const eff = tool('/usr/sbin/sshd', ['-T', '-f', cfg]).out;
  for (const line of ['passwordauthentication no', 'kbdinteractiveauthentication no', 'permitrootlogin no', 'authenticationmethods publickey', 'pubkeyauthentication yes', 'maxauthtries 3', 'x11forwarding no']) {
    assert.match(eff, new RegExp(`^${line}$`, 'm'), line);
  }
  const bad = path.join(dir, 'bad.conf');
  writeFileSync(bad, readFileSync(dropIn, 'utf8').replace('PasswordAuthentication no', 'PasswordAuthentication perhaps'));
  assert.notEqual(tool('/usr/sbin/sshd', ['-t', '-f', sshdConfig(dir, bad)]).code, 0);
});

test('the fail2ban jail passes fail2ban-client --test and watches sshd through the journal', () => {
  const conf = path.join(scratch('f2b'), 'fail2ban');
  cpSync('/etc/fail2ban', conf, { recursive: true });
  copyFileSync(path.join(DEPLOY, 'fail2ban', 'nexus-sshd.local'), path.join(conf, 'jail.d', 'nexus-sshd.local'));
  const t = tool('fail2ban-client', ['-c', conf, '--test']);
  assert.equal(t.code, 0, t.out);
  assert.match(t.out, /configuration test is successful/);
  const dump = tool('fail2ban-client', ['-c', conf, '-d']).out;
  assert.match(dump, /\['add', 'sshd', 'systemd'\]/);
  assert.match(dump, /\['set', 'sshd', 'maxretry', 5\]/);
  assert.match(dump, /\['set', 'sshd', 'bantime', '1h'\]/);
});
