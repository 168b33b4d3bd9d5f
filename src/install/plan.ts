// The steps of `nexus install` for a server, in the order of
// docs/operations.md §1: accounts, folders, settings with generated secrets,
// PostgreSQL (settings, rules, login, database, schema), TLS from the
// internal CA, the systemd units.

import { existsSync, readFileSync } from 'node:fs';
import { X509Certificate } from 'node:crypto';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadSettings } from '../core/settings.ts';
import { NexusError } from '../core/errors.ts';
import { ensureTls, tlsDir } from '../tls/index.ts';
import { accountSteps } from './accounts.ts';
import { directory, file, ownedTree } from './files.ts';
import type { Host } from './host.ts';
import { adminRoleStep, applyPgStep, confStep, databaseStep, hbaStep, migrateStep, type PgChanges } from './postgres.ts';
import { newSecret, renderEnvFile, renderProfile, type Layout } from './render.ts';
import type { Step } from './steps.ts';
import { enableStep, reloadStep, serverUnits, startStep, unitFileSteps, verifyUnitsStep, type UnitChanges } from './units.ts';

export const NEXUS_BIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../bin/nexus.js');

export interface PlanOptions {
  layout: Layout;
  /** An administrator to add to nexus-admin. */
  admin?: string;
}

function sans(l: Layout): string[] {
  return [l.dnsName, l.address, 'localhost', '127.0.0.1'];
}

/** The CA and a server certificate that names every SAN, or what is missing. */
function tlsStep(host: Host, l: Layout): Step {
  const home = host.at(l.home);
  const cert = path.join(tlsDir(home), 'server.crt');
  return {
    kind: 'files',
    title: `TLS: internal CA and server certificate for ${l.dnsName}, ${l.address} in ${l.home}/tls`,
    async pending() {
      if (!existsSync(path.join(tlsDir(home), 'ca.crt'))) return 'create the CA and issue the server certificate';
      if (!existsSync(cert)) return 'issue the server certificate';
      const x = new X509Certificate(readFileSync(cert));
      const names = (x.subjectAltName ?? '').split(', ').map((n) => n.replace(/^(DNS|IP Address):/, ''));
      const missing = sans(l).filter((s) => !names.includes(s));
      if (missing.length) return `re-issue the server certificate (it lacks ${missing.join(', ')})`;
      return (Date.parse(x.validTo) - Date.now()) / 86_400_000 < 30 ? 're-issue the server certificate (expires within 30 days)' : undefined;
    },
    async apply() {
      await ensureTls(home, sans(l));
    },
  };
}

/** The settings file parses as settings: the same validation every service does at start. */
function settingsCheck(host: Host, l: Layout): Step {
  return {
    kind: 'verify',
    title: `settings in ${l.envFile}`,
    pending: async () => undefined,
    async apply() {
      const s = loadSettings({ NEXUS_ENV_FILE: host.at(l.envFile) }, host.root);
      return `valid (NEXUS_HOME ${s.home}, backups in ${s.backupDir})`;
    },
  };
}

/** The units and archive_command run the code from the layout's folder, not from wherever install runs. */
function codeCheck(host: Host, l: Layout): Step {
  const bin = `${l.codeDir}/bin/nexus.js`;
  return {
    kind: 'verify',
    title: `the code at ${l.codeDir}`,
    pending: async () => undefined,
    async apply() {
      if (!existsSync(host.at(bin))) throw new NexusError('install_code_missing', `${bin} is missing: check out a release into ${l.codeDir} first (docs/operations.md §1.2)`);
      return `${bin} present`;
    },
  };
}

export function serverPlan(host: Host, o: PlanOptions): Step[] {
  const l = o.layout;
  const pg: PgChanges = { restart: false, reload: false };
  const units: UnitChanges = { files: false };
  const names = serverUnits();
  const own = (user: string, group: string, mode: number) => ({ user, group, mode });
  return [
    codeCheck(host, l),
    ...accountSteps(host, l.home, o.admin),
    directory(host, l.configDir, own('root', 'nexus', 0o750)),
    directory(host, l.home, own('nexus', 'nexus', 0o750)),
    directory(host, `${l.home}/secrets`, own('nexus', 'nexus', 0o700)),
    directory(host, l.backupDir, own('nexus', 'nexus', 0o750)),
    // PostgreSQL writes the WAL archive, nexus reads and prunes it; setgid keeps the group.
    directory(host, `${l.backupDir}/wal`, own('postgres', 'nexus', 0o2770)),
    directory(host, `${l.backupDir}/dumps`, own('nexus', 'nexus', 0o750)),
    directory(host, `${l.backupDir}/base`, own('nexus', 'nexus', 0o750)),
    file(host, l.envFile, () => renderEnvFile(l, { adminPassword: newSecret(), importToken: newSecret(32) }), { ...own('nexus', 'nexus', 0o600), keep: true }),
    settingsCheck(host, l),
    file(host, '/etc/profile.d/nexus.sh', () => renderProfile(l), own('root', 'root', 0o644)),
    confStep(host, l, pg),
    hbaStep(host, l, pg),
    applyPgStep(l, pg),
    adminRoleStep(host, l),
    databaseStep(l),
    migrateStep(l, NEXUS_BIN),
    tlsStep(host, l),
    directory(host, `${l.home}/tls`, own('nexus', 'nexus', 0o700)),
    ownedTree(host, `${l.home}/tls`, 'nexus', 'nexus'),
    ...unitFileSteps(host, names, units),
    verifyUnitsStep(host, names),
    enableStep(host, names),
    reloadStep(units),
    startStep(names, units),
  ];
}
