// `nexus install --root DIR` for real in a scratch root shaped like a fresh
// Ubuntu server (the distribution's pg_hba.conf and systemd units, the
// accounts useradd would have made): folders, files, modes, owners and
// contents; units verified by systemd-analyze in that root and enabled;
// --dry-run touches nothing; a second run changes nothing and says so; drift
// is put back without touching generated secrets.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, readlinkSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { X509Certificate } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { nexus, ROOT } from '../helpers/cli.ts';
import { scratch } from '../backup/helpers.ts';
import { freshServer, IDS } from './helpers.ts';
import { loadSettings } from '../../src/core/settings.ts';
import { Host } from '../../src/install/host.ts';
import { verifyUnitsStep } from '../../src/install/units.ts';

function files(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      out.push(path.join(d, e.name));
      if (e.isDirectory()) walk(path.join(d, e.name));
    }
  };
  walk(dir);
  return out.sort();
}

function owner(p: string): string {
  const st = statSync(p);
  return `${st.uid}:${st.gid} 0${(st.mode & 0o7777).toString(8)}`;
}

const install = (root: string, ...more: string[]) => nexus(['install', '--root', root, ...more], {});

test('--dry-run prints every step and changes nothing', async () => {
  const root = freshServer();
  const before = files(root);
  const r = await install(root, '--dry-run');
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(files(root), before);
  const lines = r.stdout.trim().split('\n').slice(1, -1);
  assert.ok(lines.length >= 25, r.stdout);
  for (const l of lines) assert.match(l, /^(would|skipped) /, l);
  for (const what of ['file /etc/nexus/nexus.env nexus:nexus 0600: create', 'pg_hba rules in /etc/postgresql/16/main/pg_hba.conf', 'file /etc/systemd/system/nexus-sync.service', 'systemd-analyze verify 7 unit(s)', 'TLS: internal CA', 'user nexus']) {
    assert.ok(r.stdout.includes(what), `${what} in\n${r.stdout}`);
  }
  assert.match(r.stdout, /dry run: \d+ step\(s\) would change something; nothing was changed$/m);
});

test('an install lays out folders, settings with secrets, PostgreSQL rules, TLS and verified, enabled units; a second run changes nothing', async () => {
  const root = freshServer();
  const originalHba = readFileSync(`${root}/etc/postgresql/16/main/pg_hba.conf`, 'utf8');
  const r = await install(root);
  assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
  assert.match(r.stdout, /^checked  systemd-analyze verify 7 unit\(s\) in .*: no complaints$/m);
  assert.match(r.stdout, /^skipped  user nexus .*needs the running system/m);
  assert.match(r.stdout, /^skipped  PostgreSQL login nexus_admin/m);

  // Folders and owners (ids from the root's own account files).
  const { nexus: n, postgres: p } = IDS;
  assert.equal(owner(`${root}/etc/nexus`), `0:${n} 0750`);
  assert.equal(owner(`${root}/var/lib/nexus`), `${n}:${n} 0750`);
  assert.equal(owner(`${root}/var/lib/nexus/secrets`), `${n}:${n} 0700`);
  assert.equal(owner(`${root}/srv/nexus-backups`), `${n}:${n} 0750`);
  assert.equal(owner(`${root}/srv/nexus-backups/wal`), `${p}:${n} 02770`);
  assert.equal(owner(`${root}/srv/nexus-backups/dumps`), `${n}:${n} 0750`);
  assert.equal(owner(`${root}/srv`), '0:0 0755');

  // Settings with generated secrets, readable by the service account only, valid as settings.
  const envFile = `${root}/etc/nexus/nexus.env`;
  assert.equal(owner(envFile), `${n}:${n} 0600`);
  const env = readFileSync(envFile, 'utf8');
  const pw = /^DATABASE_URL=postgres:\/\/nexus_admin:([A-Za-z0-9_-]{32})@127\.0\.0\.1:5432\/nexus$/m.exec(env)?.[1];
  assert.ok(pw, env);
  assert.match(env, /^NEXUS_IMPORT_TOKEN=[A-Za-z0-9_-]{43}$/m);
  const s = loadSettings({ NEXUS_ENV_FILE: envFile }, root);
  assert.deepEqual([s.home, s.backupDir, s.tlsSans.join(',')], ['/var/lib/nexus', '/srv/nexus-backups', 'nexus-server.home.arpa,10.10.0.10']);

  // PostgreSQL: archiving into the target; our rules first, the distribution's kept after them.
  assert.match(readFileSync(`${root}/etc/postgresql/16/main/conf.d/nexus.conf`, 'utf8'), /^archive_command = '\/usr\/bin\/node \/opt\/nexus\/bin\/nexus\.js backup archive-wal --dir \/srv\/nexus-backups\/wal "%p" "%f"'$/m);
  const hba = readFileSync(`${root}/etc/postgresql/16/main/pg_hba.conf`, 'utf8');
  const rules = hba.split('\n').filter((l) => l.trim() && !l.startsWith('#'));
  assert.match(rules[0]!, /^host\s+nexus\s+nexus_owner,nexus_sync,.*,clarity_reader\s+127\.0\.0\.1\/32\s+scram-sha-256$/);
  assert.match(rules[3]!, /^host\s+all\s+nexus_admin,.*\s+all\s+reject$/);
  assert.equal(hba.split('# BEGIN nexus').length, 2);
  for (const l of originalHba.split('\n').filter((x) => x.trim() && !x.startsWith('#'))) assert.ok(rules.includes(l), `distribution rule kept: ${l}`);

  // TLS from the internal CA, owned by the service account.
  const tls = `${root}/var/lib/nexus/tls`;
  assert.equal(owner(tls), `${n}:${n} 0700`);
  assert.equal(owner(`${tls}/server.key`), `${n}:${n} 0600`);
  const cert = new X509Certificate(readFileSync(`${tls}/server.crt`));
  assert.ok(cert.verify(new X509Certificate(readFileSync(`${tls}/ca.crt`)).publicKey));
  assert.match(cert.subjectAltName ?? '', /DNS:nexus-server\.home\.arpa/);
  assert.match(cert.subjectAltName ?? '', /IP Address:10\.10\.0\.10/);

  // Units: the repository's, enabled, and systemd-analyze is happy with them in this root.
  const units = readdirSync(`${ROOT}/deploy/systemd`).filter((u) => u !== 'nexus-guardian.service');
  assert.equal(units.length, 7);
  for (const u of units) {
    assert.equal(readFileSync(`${root}/etc/systemd/system/${u}`, 'utf8'), readFileSync(`${ROOT}/deploy/systemd/${u}`, 'utf8'));
    assert.equal(readlinkSync(`${root}/etc/systemd/system/multi-user.target.wants/${u}`), `/etc/systemd/system/${u}`);
  }
  assert.equal(existsSync(`${root}/etc/systemd/system/nexus-guardian.service`), false);
  const v = spawnSync('systemd-analyze', [`--root=${root}`, 'verify', ...units], { encoding: 'utf8' });
  assert.equal(v.status, 0, v.stderr);
  assert.doesNotMatch(`${v.stdout}${v.stderr}`, /nexus-/);
  assert.match(readFileSync(`${root}/etc/profile.d/nexus.sh`, 'utf8'), /^alias nexus='sudo -u nexus NEXUS_ENV_FILE=\/etc\/nexus\/nexus\.env /m);

  // Again: nothing changes, secrets and CA stay.
  const ca = readFileSync(`${tls}/ca.crt`, 'utf8');
  const again = await install(root);
  assert.equal(again.code, 0, again.stderr);
  assert.doesNotMatch(again.stdout, /^done /m);
  assert.match(again.stdout, /^nothing to change: all \d+ step\(s\) in place, \d+ left to the running system$/m);
  assert.equal(readFileSync(envFile, 'utf8'), env);
  assert.equal(readFileSync(`${tls}/ca.crt`, 'utf8'), ca);

  // Drift is put back, and only drift; the secrets survive.
  chmodSync(envFile, 0o644);
  rmSync(`${root}/etc/systemd/system/nexus-health.service`);
  writeFileSync(`${root}/etc/postgresql/16/main/pg_hba.conf`, hba.replace('127.0.0.1/32 scram-sha-256', '0.0.0.0/0 trust'));
  const repair = await install(root);
  assert.equal(repair.code, 0, repair.stderr);
  assert.deepEqual(repair.stdout.split('\n').filter((l) => l.startsWith('done ')).map((l) => l.replace(/^done\s+(\S+ \S+).*/, '$1')), ['file /etc/nexus/nexus.env', 'pg_hba rules', 'file /etc/systemd/system/nexus-health.service']);
  assert.equal(owner(envFile), `${n}:${n} 0600`);
  assert.equal(readFileSync(envFile, 'utf8'), env);
  assert.equal(readFileSync(`${root}/etc/postgresql/16/main/pg_hba.conf`, 'utf8'), hba);
});

test('the unit check is not vacuous: a broken unit in the root fails the install step', async () => {
  const root = freshServer();
  mkdirSync(`${root}/etc/systemd/system`, { recursive: true });
  const unit = readFileSync(`${ROOT}/deploy/systemd/nexus-sync.service`, 'utf8');
  writeFileSync(`${root}/etc/systemd/system/nexus-sync.service`, unit.replace('ProtectSystem=strict', 'ProtectSystem=stricter'));
  await assert.rejects(verifyUnitsStep(new Host(root), ['nexus-sync.service']).apply(), (e: Error & { code?: string }) => e.code === 'units_invalid' && /nexus-sync\.service:\d+: Failed to parse protect system value/.test(e.message));
});

test('a root without the code or without PostgreSQL, and bad options, say what to do', async () => {
  const noCode = freshServer();
  rmSync(`${noCode}/opt/nexus`, { recursive: true });
  const nc = await install(noCode);
  assert.equal(nc.code, 1);
  assert.match(nc.stdout, /^failed   the code at \/opt\/nexus: \/opt\/nexus\/bin\/nexus\.js is missing: check out a release into \/opt\/nexus first/m);
  assert.equal(existsSync(`${noCode}/etc/nexus`), false); // stopped before changing anything

  const bare = scratch('install-bare');
  const r = await install(bare, '--dry-run');
  assert.equal(r.code, 1);
  assert.match(r.stderr, /No PostgreSQL cluster in .*\/etc\/postgresql\/<version>\/main: apt-get install postgresql/);
  const bad = await install(bare, '--address', '10.10.0.300');
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /--address "10\.10\.0\.300" is not valid; it accepts an IPv4 address/);
});
