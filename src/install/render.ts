// What the install writes: the settings file with its generated secrets,
// PostgreSQL's archiving settings, the pg_hba rules, the shell alias. Pure
// functions of the install's layout, so a test can read them back.

import { randomBytes } from 'node:crypto';
import { ROLE_NAMES } from '../db/roles.ts';

export interface Layout {
  /** The code (a release checkout); the units run bin/nexus.js from here. */
  codeDir: string;
  configDir: string;
  home: string;
  backupDir: string;
  envFile: string;
  node: string;
  /** The server's address in the tunnel, and its DNS name. */
  address: string;
  dnsName: string;
  gateAddress: string;
  pgPort: number;
  /** psql's socket folder as the postgres OS user (unset: the distribution's default). */
  pgSocketDir?: string;
  dbName: string;
  adminRole: string;
}

export const DEFAULT_LAYOUT: Layout = {
  codeDir: '/opt/nexus',
  configDir: '/etc/nexus',
  home: '/var/lib/nexus',
  // The systemd units name this path (ReadWritePaths): mount the NAS here.
  backupDir: '/srv/nexus-backups',
  envFile: '/etc/nexus/nexus.env',
  node: '/usr/bin/node',
  address: '10.10.0.10',
  dnsName: 'nexus-server.home.arpa',
  gateAddress: '10.10.0.1',
  pgPort: 5432,
  dbName: 'nexus',
  adminRole: 'nexus_admin',
};

/** A password or token: URL-safe, so it needs no quoting in a URL or an env file. */
export function newSecret(bytes = 24): string {
  return randomBytes(bytes).toString('base64url');
}

export function renderEnvFile(l: Layout, secrets: { adminPassword: string; importToken: string }, now = new Date()): string {
  return `# ${l.envFile}: read by every nexus-* unit (EnvironmentFile=) and by \`nexus\`
# run by hand (NEXUS_ENV_FILE=${l.envFile}). Written by \`nexus install\` on
# ${now.toISOString().slice(0, 10)} with freshly generated secrets; later installs keep it as it is.
# Mode 0600, owner nexus: it holds the database password. README.md lists every setting.

NEXUS_HOME=${l.home}
NEXUS_CONFIG_DIR=${l.configDir}
# The administrative login (CREATEROLE CREATEDB REPLICATION BYPASSRLS, not a superuser).
DATABASE_URL=postgres://${l.adminRole}:${secrets.adminPassword}@127.0.0.1:${l.pgPort}/${l.dbName}
NEXUS_TLS_SANS=${l.dnsName},${l.address}

# nexus-sync
NEXUS_SYNC_HOST=${l.address}
NEXUS_SYNC_PORT=8443
NEXUS_GUARDIAN_URL=https://${l.gateAddress}:8444
NEXUS_GATE_VPN_ADDRESS=${l.gateAddress}
NEXUS_IMPORT_TOKEN=${secrets.importToken}

# nexus-backup: the NAS mount
NEXUS_BACKUP_DIR=${l.backupDir}
NEXUS_BACKUP_RETENTION_DAYS=7
NEXUS_WAL_RETENTION_DAYS=14

# nexus-health
NEXUS_HEALTH_HOST=${l.address}
NEXUS_HEALTH_PORT=8445
# NEXUS_ALERT_WEBHOOK=https://chat.example.org/hooks/nexus
# NEXUS_SMTP_HOST=mail.example.org
# NEXUS_ALERT_EMAIL_TO=ops@example.org
`;
}

export function renderPostgresConf(l: Layout): string {
  return `# Written by \`nexus install\` (docs/operations.md §1.3); the next install run
# puts it back as it is here. WAL archiving into the backup target:
# continuous, durable (src/backup/wal.ts), at least every archive_timeout.
wal_level = replica
archive_mode = on
archive_command = '${l.node} ${l.codeDir}/bin/nexus.js backup archive-wal --dir ${l.backupDir}/wal "%p" "%f"'
archive_timeout = 300
listen_addresses = 'localhost'
password_encryption = 'scram-sha-256'
`;
}

export const HBA_BEGIN = '# BEGIN nexus (written by `nexus install`)';
export const HBA_END = '# END nexus';

export function renderHbaBlock(l: Layout): string {
  const platform = ROLE_NAMES.join(',');
  const all = [l.adminRole, ...ROLE_NAMES].join(',');
  return [
    HBA_BEGIN,
    '# First match wins, so these come before the distribution\'s rules. The',
    '# platform\'s roles reach only their database, over TCP on loopback, with',
    '# SCRAM passwords; everything else for them is refused.',
    `host    ${l.dbName.padEnd(12)} ${platform} 127.0.0.1/32 scram-sha-256`,
    '# The administrative login: migrations, restore tests (temporary databases), base backups.',
    `host    all          ${l.adminRole} 127.0.0.1/32 scram-sha-256`,
    `host    replication  ${l.adminRole} 127.0.0.1/32 scram-sha-256`,
    `host    all          ${all} all reject`,
    `local   all          ${all} reject`,
    HBA_END,
  ].join('\n');
}

/** pg_hba.conf with the nexus block in place (replaced, or put first), and whether it changed. */
export function withHbaBlock(current: string, block: string): string {
  const lines = current.split('\n');
  const b = lines.indexOf(HBA_BEGIN);
  const e = lines.indexOf(HBA_END);
  if (b >= 0 && e > b) lines.splice(b, e - b + 1, ...block.split('\n'));
  else {
    // Before the first rule, after the file's opening comments.
    const first = lines.findIndex((x) => x.trim() !== '' && !x.trim().startsWith('#'));
    lines.splice(first < 0 ? lines.length : first, 0, ...block.split('\n'), '');
  }
  return lines.join('\n');
}

export function renderProfile(l: Layout): string {
  return `# Written by \`nexus install\`: \`nexus\` for administrators, run as the service user with the server's settings.
alias nexus='sudo -u nexus NEXUS_ENV_FILE=${l.envFile} ${l.node} ${l.codeDir}/bin/nexus.js'
`;
}
