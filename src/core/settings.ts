// The only module that reads the environment. Settings come from the process
// environment and an optional env file (the environment wins), are validated
// once, and are handed around as a typed, frozen object. A wrong value stops
// the process with exit code 2 and names the variable and what it accepts.

import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { NexusError, EXIT_USAGE } from './errors.ts';

type Env = Record<string, string | undefined>;

interface Spec<T> {
  accepts: string;
  parse: (raw: string) => T | undefined;
}

const text: Spec<string> = { accepts: 'a non-empty string', parse: (r) => (r.trim() ? r.trim() : undefined) };

function int(min: number, max: number): Spec<number> {
  return {
    accepts: `a whole number from ${min} to ${max}`,
    parse: (r) => {
      if (!/^\d+$/.test(r.trim())) return undefined;
      const n = Number(r);
      return n >= min && n <= max ? n : undefined;
    },
  };
}

function oneOf<T extends string>(...values: T[]): Spec<T> {
  return { accepts: `one of ${values.join(', ')}`, parse: (r) => values.find((v) => v === r.trim()) };
}

const bool: Spec<boolean> = {
  accepts: 'true or false (also 1/0, yes/no, on/off)',
  parse: (r) => {
    const v = r.trim().toLowerCase();
    if (['1', 'true', 'yes', 'on'].includes(v)) return true;
    if (['0', 'false', 'no', 'off'].includes(v)) return false;
    return undefined;
  },
};

const hostList: Spec<string[]> = {
  accepts: 'a comma-separated list of DNS names and IP addresses, e.g. nexus-server.home.arpa,10.10.0.10',
  parse: (r) => {
    const items = r.split(',').map((x) => x.trim()).filter(Boolean);
    return items.length > 0 && items.every((x) => /^[A-Za-z0-9.:*-]+$/.test(x)) ? items : undefined;
  },
};

const postgresUrl: Spec<string> = {
  accepts: 'a postgres:// or postgresql:// URL, e.g. postgres://user:password@host:5432/nexus',
  parse: (r) => {
    try {
      const u = new URL(r.trim());
      return (u.protocol === 'postgres:' || u.protocol === 'postgresql:') && u.hostname ? r.trim() : undefined;
    } catch {
      return undefined;
    }
  },
};

const osUser: Spec<string> = {
  accepts: 'a system user name (letters, digits, _ and -)',
  parse: (r) => (/^[a-z_][a-z0-9_-]*$/i.test(r.trim()) ? r.trim() : undefined),
};

const identifier: Spec<string> = {
  accepts: 'a lowercase PostgreSQL name (letters, digits and _; starts with a letter)',
  parse: (r) => (/^[a-z][a-z0-9_]{0,62}$/.test(r.trim()) ? r.trim() : undefined),
};

const mediaTypes: Spec<readonly string[]> = {
  accepts: 'a comma-separated list of media types, e.g. application/pdf,image/jpeg',
  parse: (r) => {
    const list = r.split(',').map((t) => t.trim().toLowerCase()).filter(Boolean);
    return list.length > 0 && list.every((t) => /^[a-z0-9][a-z0-9!#$&^_.+-]*\/[a-z0-9][a-z0-9!#$&^_.+-]*$/.test(t)) ? list : undefined;
  },
};

const httpUrl: Spec<string> = {
  accepts: 'an http:// or https:// URL, e.g. https://10.10.0.1:8444',
  parse: (r) => {
    try {
      const u = new URL(r.trim());
      return (u.protocol === 'https:' || u.protocol === 'http:') && u.hostname ? r.trim().replace(/\/+$/, '') : undefined;
    } catch {
      return undefined;
    }
  },
};

const ipv4Re = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;
const ipv4: Spec<string> = { accepts: 'an IPv4 address, e.g. 192.168.1.2', parse: (r) => (ipv4Re.test(r.trim()) ? r.trim() : undefined) };
const ipv4Cidr: Spec<string> = {
  accepts: 'an IPv4 address with its prefix length, e.g. 192.168.1.2/24',
  parse: (r) => {
    const [a, len, ...rest] = r.trim().split('/');
    return rest.length === 0 && a && ipv4Re.test(a) && len && /^\d+$/.test(len) && Number(len) <= 32 ? r.trim() : undefined;
  },
};
const ipv4Int = (a: string): number => a.split('.').reduce((n, o) => n * 256 + Number(o), 0);
/** A network address with its prefix (host bits zero), e.g. 10.10.0.0/24; overlaps are checked in src/gate/config.ts. */
const ipv4Network: Spec<string> = {
  accepts: 'an IPv4 network with its prefix length from 8 to 30 and no host bits set, e.g. 10.10.0.0/21',
  parse: (r) => {
    const [a, len, ...rest] = r.trim().split('/');
    if (rest.length || !a || !ipv4Re.test(a) || !len || !/^\d+$/.test(len) || Number(len) < 8 || Number(len) > 30) return undefined;
    return ipv4Int(a) % 2 ** (32 - Number(len)) === 0 ? r.trim() : undefined;
  },
};
const ipv4Range: Spec<string> = {
  accepts: 'an IPv4 range first-last, e.g. 10.10.0.100-10.10.7.254',
  parse: (r) => {
    const [a, b, ...rest] = r.trim().split('-').map((x) => x.trim());
    return !rest.length && a && b && ipv4Re.test(a) && ipv4Re.test(b) && ipv4Int(a) <= ipv4Int(b) ? `${a}-${b}` : undefined;
  },
};
const dnsZone: Spec<string> = {
  accepts: 'a DNS zone name, e.g. home.arpa',
  parse: (r) => (/^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/i.test(r.trim()) ? r.trim().toLowerCase() : undefined),
};

const adminToken: Spec<string> = {
  accepts: 'a secret of at least 32 printable characters without spaces',
  parse: (r) => (/^[\x21-\x7e]{32,}$/.test(r.trim()) ? r.trim() : undefined),
};

/** Every setting: its variable, how it is parsed, and its default. */
const SPECS = {
  databaseUrl: { env: 'DATABASE_URL', spec: postgresUrl, default: undefined as string | undefined },
  home: { env: 'NEXUS_HOME', spec: text, default: '.nexus' },
  logLevel: {
    env: 'NEXUS_LOG_LEVEL',
    spec: oneOf('fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'),
    default: 'info' as const,
  },
  /** auto: one readable line per record on a terminal, JSON lines otherwise (journald, files, pipes). */
  logFormat: { env: 'NEXUS_LOG_FORMAT', spec: oneOf('auto', 'json', 'pretty'), default: 'auto' as const },
  pgPort: { env: 'NEXUS_PG_PORT', spec: int(0, 65535), default: 0 },
  pgBinDir: { env: 'NEXUS_PG_BIN', spec: text, default: undefined as string | undefined },
  pgOsUser: { env: 'NEXUS_PG_OS_USER', spec: osUser, default: 'nobody' },
  /** false: the embedded cluster skips fsync (throwaway clusters for tests and demos only). */
  pgDurable: { env: 'NEXUS_PG_DURABLE', spec: bool, default: true },
  /** Extra names and addresses on the services' TLS certificate (localhost and 127.0.0.1 are always there). */
  tlsSans: { env: 'NEXUS_TLS_SANS', spec: hostList, default: [] as string[] },
  dbName: { env: 'NEXUS_DB_NAME', spec: identifier, default: 'nexus' },
  // Guardian (device identity on the gate)
  guardianHost: { env: 'NEXUS_GUARDIAN_HOST', spec: text, default: '127.0.0.1' },
  guardianPort: { env: 'NEXUS_GUARDIAN_PORT', spec: int(0, 65535), default: 8444 },
  /** Access token lifetime; the protocol caps it at 15 minutes. */
  tokenTtlSeconds: { env: 'NEXUS_TOKEN_TTL_SECONDS', spec: int(1, 900), default: 900 },
  /** `iss` of access tokens; verifiers (sync) check it. */
  tokenIssuer: { env: 'NEXUS_TOKEN_ISSUER', spec: text, default: 'nexus-guardian' },
  enrollmentTtlHours: { env: 'NEXUS_ENROLLMENT_TTL_HOURS', spec: int(1, 720), default: 24 },
  /** host:port of the gate's WireGuard listener, written into device configs. */
  gateEndpoint: { env: 'NEXUS_GATE_ENDPOINT', spec: text, default: undefined as string | undefined },
  /** Enrolment and token requests allowed per source address per window. */
  guardianRateLimit: { env: 'NEXUS_GUARDIAN_RATE_LIMIT', spec: int(1, 1_000_000), default: 30 },
  guardianRateWindowSeconds: { env: 'NEXUS_GUARDIAN_RATE_WINDOW_SECONDS', spec: int(1, 86_400), default: 60 },
  // Files (SYNC_PROTOCOL §3); NEXUS_FILES_DIR defaults to $NEXUS_HOME/files.
  filesDir: { env: 'NEXUS_FILES_DIR', spec: text, default: undefined as string | undefined },
  fileMaxBytes: { env: 'NEXUS_FILE_MAX_BYTES', spec: int(1, Number.MAX_SAFE_INTEGER), default: 64 * 1024 * 1024 },
  fileContentTypes: {
    env: 'NEXUS_FILE_CONTENT_TYPES',
    spec: mediaTypes,
    default: ['application/pdf', 'image/jpeg'] as readonly string[],
  },
  /** Unfinished tus uploads (and the records of finished ones) are removed this long after creation. */
  uploadExpiryHours: { env: 'NEXUS_UPLOAD_EXPIRY_HOURS', spec: int(1, 8760), default: 168 },
  /** The field client's device folder (`nexus field`; default $NEXUS_HOME/field). */
  fieldDir: { env: 'NEXUS_FIELD_DIR', spec: text, default: undefined as string | undefined },
  // nexus-sync (SYNC_PROTOCOL §2, §5)
  syncHost: { env: 'NEXUS_SYNC_HOST', spec: text, default: '127.0.0.1' },
  syncPort: { env: 'NEXUS_SYNC_PORT', spec: int(0, 65535), default: 8443 },
  pushMaxOps: { env: 'NEXUS_PUSH_MAX_OPS', spec: int(1, 100_000), default: 500 },
  pushMaxBytes: { env: 'NEXUS_PUSH_MAX_BYTES', spec: int(1024, 1024 * 1024 * 1024), default: 8 * 1024 * 1024 },
  /** Pushes processed at once; more wait before their body is read (memory stays bounded). */
  pushConcurrency: { env: 'NEXUS_PUSH_CONCURRENCY', spec: int(1, 64), default: 4 },
  /** Guardian's base URL when sync runs alone (`nexus up` passes it on). */
  guardianUrl: { env: 'NEXUS_GUARDIAN_URL', spec: httpUrl, default: undefined as string | undefined },
  /** Mutual TLS: a client certificate from our CA whose subject is the token's sub (§1). */
  requireClientCert: { env: 'NEXUS_REQUIRE_CLIENT_CERT', spec: bool, default: false },
  /** Source address = token wg_ip: auto checks unless sync listens on loopback only (development). */
  checkSourceAddress: { env: 'NEXUS_CHECK_SOURCE_ADDRESS', spec: oneOf('auto', 'true', 'false'), default: 'auto' as const },
  /** How often sync polls Guardian's revocation list; revoked devices are refused within 60 s. */
  revocationPollSeconds: { env: 'NEXUS_REVOCATION_POLL_SECONDS', spec: int(1, 20), default: 15 },
  // nexus-backup; NEXUS_BACKUP_DIR (the NAS mount) defaults to $NEXUS_HOME/backups (src/backup/paths.ts).
  backupDir: { env: 'NEXUS_BACKUP_DIR', spec: text, default: undefined as string | undefined },
  backupRetentionDays: { env: 'NEXUS_BACKUP_RETENTION_DAYS', spec: int(1, 3650), default: 7 },
  walRetentionDays: { env: 'NEXUS_WAL_RETENTION_DAYS', spec: int(1, 3650), default: 14 },
  /** An idle database still closes and archives a WAL segment this often. */
  archiveTimeoutSeconds: { env: 'NEXUS_ARCHIVE_TIMEOUT_SECONDS', spec: int(30, 86_400), default: 300 },
  dumpIntervalHours: { env: 'NEXUS_DUMP_INTERVAL_HOURS', spec: int(1, 720), default: 24 },
  baseBackupIntervalDays: { env: 'NEXUS_BASEBACKUP_INTERVAL_DAYS', spec: int(1, 365), default: 7 },
  restoreTestIntervalDays: { env: 'NEXUS_RESTORE_TEST_INTERVAL_DAYS', spec: int(1, 365), default: 7 },
  /** rsync destination (a folder, or host:folder over SSH) that mirrors the backup target. */
  backupOffsite: { env: 'NEXUS_BACKUP_OFFSITE', spec: text, default: undefined as string | undefined },
  /** Server configuration kept in a git repository in the backup target on every change. */
  configDir: { env: 'NEXUS_CONFIG_DIR', spec: text, default: '/etc/nexus' },
  // nexus-health
  healthHost: { env: 'NEXUS_HEALTH_HOST', spec: text, default: '127.0.0.1' },
  healthPort: { env: 'NEXUS_HEALTH_PORT', spec: int(0, 65535), default: 8445 },
  healthIntervalSeconds: { env: 'NEXUS_HEALTH_INTERVAL_SECONDS', spec: int(5, 3600), default: 60 },
  longTransactionMinutes: { env: 'NEXUS_LONG_TRANSACTION_MINUTES', spec: int(1, 10_080), default: 15 },
  alertWebhook: { env: 'NEXUS_ALERT_WEBHOOK', spec: httpUrl, default: undefined as string | undefined },
  /** A check alerts at most once per cooldown; a change back within it is reported when it ends. */
  alertCooldownMinutes: { env: 'NEXUS_ALERT_COOLDOWN_MINUTES', spec: int(0, 10_080), default: 30 },
  smtpHost: { env: 'NEXUS_SMTP_HOST', spec: text, default: undefined as string | undefined },
  smtpPort: { env: 'NEXUS_SMTP_PORT', spec: int(1, 65535), default: 25 },
  alertEmailTo: { env: 'NEXUS_ALERT_EMAIL_TO', spec: text, default: undefined as string | undefined },
  alertEmailFrom: { env: 'NEXUS_ALERT_EMAIL_FROM', spec: text, default: 'nexus-health@localhost' },
  /** Devices silent this long are reported by health. */
  deviceSilentDays: { env: 'NEXUS_DEVICE_SILENT_DAYS', spec: int(1, 365), default: 7 },
  /** Pushed data not processed by the ETL after this long warns (four times: fails). */
  etlStaleMinutes: { env: 'NEXUS_ETL_STALE_MINUTES', spec: int(1, 10_080), default: 15 },
  // nexus-crawl and imports; NEXUS_CRAWL_DIR defaults to $NEXUS_HOME/crawl.d.
  crawlDir: { env: 'NEXUS_CRAWL_DIR', spec: text, default: undefined as string | undefined },
  /** Sources crawled at the same time by one crawl worker. */
  crawlConcurrency: { env: 'NEXUS_CRAWL_CONCURRENCY', spec: int(1, 64), default: 4 },
  /** Bearer token of the import HTTP endpoint (at least 32 characters); unset, the endpoint refuses everyone. */
  importToken: { env: 'NEXUS_IMPORT_TOKEN', spec: adminToken, default: undefined as string | undefined },
  /** Largest file the import HTTP endpoint accepts. */
  importMaxBytes: { env: 'NEXUS_IMPORT_MAX_BYTES', spec: int(1, Number.MAX_SAFE_INTEGER), default: 2 * 1024 * 1024 * 1024 },
  // nexus-gate (src/gate): WireGuard, firewall, DNS, keepalived pair, config sync
  /** Internal DNS zone served by dnsmasq on the gate (`local` is a bad choice: iOS resolves it by mDNS only). */
  dnsZone: { env: 'NEXUS_DNS_ZONE', spec: dnsZone, default: 'home.arpa' },
  /** The gate's address inside the tunnel (DESIGN §1 plan: 10.10.0.1); it moves with the MASTER. */
  gateVpnAddress: { env: 'NEXUS_GATE_VPN_ADDRESS', spec: ipv4, default: '10.10.0.1' },
  /** The VPN network (client AllowedIPs, the gate's Address prefix); holds every pool and the gate address. */
  vpnNetwork: { env: 'NEXUS_VPN_NETWORK', spec: ipv4Network, default: '10.10.0.0/24' },
  /** Field device addresses: grow it (and NEXUS_VPN_NETWORK) past 100 devices; docs/gate.md. */
  gateFieldPool: { env: 'NEXUS_GATE_FIELD_POOL', spec: ipv4Range, default: '10.10.0.100-10.10.0.199' },
  gateWgPort: { env: 'NEXUS_GATE_WG_PORT', spec: int(1, 65535), default: 51820 },
  /** The gate's LAN interface: WireGuard arrives here, the virtual address lives here. */
  gateLanInterface: { env: 'NEXUS_GATE_LAN_INTERFACE', spec: text, default: 'eth0' },
  /** Virtual address of the HA pair on the LAN, with prefix (the router forwards the WireGuard port to it). */
  gateVip: { env: 'NEXUS_GATE_VIP', spec: ipv4Cidr, default: undefined as string | undefined },
  /** This gate's own LAN address and the other gate's (keepalived unicast, config sync). */
  gateNodeAddress: { env: 'NEXUS_GATE_NODE_ADDRESS', spec: ipv4, default: undefined as string | undefined },
  gatePeerAddress: { env: 'NEXUS_GATE_PEER_ADDRESS', spec: ipv4, default: undefined as string | undefined },
  gateNodeRole: { env: 'NEXUS_GATE_NODE_ROLE', spec: oneOf('MASTER', 'BACKUP'), default: 'MASTER' as const },
  gateVrid: { env: 'NEXUS_GATE_VRID', spec: int(1, 255), default: 51 },
  gateSyncMinutes: { env: 'NEXUS_GATE_SYNC_MINUTES', spec: int(1, 1440), default: 5 },
  /** SSH user on the other gate that receives the config sync. */
  gateSyncUser: { env: 'NEXUS_GATE_SYNC_USER', spec: text, default: 'nexus' },
  /** The ssh command config sync runs (rsync -e), e.g. with `-i` for a dedicated key. */
  gateSyncSsh: { env: 'NEXUS_GATE_SYNC_SSH', spec: text, default: 'ssh -o BatchMode=yes -o ConnectTimeout=10' },
  /** Where Nexus is installed on the gate (systemd units run bin/nexus.js from here). */
  gateInstallDir: { env: 'NEXUS_GATE_INSTALL_DIR', spec: text, default: '/opt/nexus' },
  /** PostgreSQL port on the server, opened to dev machines only. */
  serverPostgresPort: { env: 'NEXUS_SERVER_POSTGRES_PORT', spec: int(1, 65535), default: 5432 },
  // Clarity (src/clarity)
  clarityHost: { env: 'NEXUS_CLARITY_HOST', spec: text, default: '127.0.0.1' },
  clarityPort: { env: 'NEXUS_CLARITY_PORT', spec: int(0, 65535), default: 8446 },
  /** How often Clarity copies what changed in the marts into its DuckDB file (0: only on demand). */
  clarityRefreshSeconds: { env: 'NEXUS_CLARITY_REFRESH_SECONDS', spec: int(0, 86_400), default: 300 },
  /** DuckDB's memory limit (DuckDB syntax: 512MB, 2GB); larger work spills to disk. */
  clarityMemoryLimit: { env: 'NEXUS_CLARITY_MEMORY_LIMIT', spec: text, default: '1GB' },
} satisfies Record<string, { env: string; spec: Spec<unknown>; default: unknown }>;

type Specs = typeof SPECS;

/** Every environment variable a setting reads (docs/settings.md lists each; a test checks). */
export const SETTING_VARIABLES: readonly string[] = Object.values(SPECS).map((s) => s.env);
type Parsed<K extends keyof Specs> = Specs[K]['spec'] extends Spec<infer T> ? T : never;

export type Settings = Readonly<
  { [K in keyof Specs]: Parsed<K> | Specs[K]['default'] } & {
    /** Absolute path of NEXUS_HOME. */
    home: string;
    /** Absolute path of the file store (NEXUS_FILES_DIR, relative to NEXUS_HOME). */
    filesDir: string;
    /** Where the optional env file was read from, if any. */
    envFile: string | undefined;
    /** NEXUS_* variables that name no setting (typos), with the closest setting if one is near. */
    unknownVariables: readonly string[];
  }
>;

/** Parses `KEY=value` lines; `#` comments, blank lines, optional quotes and `export`. */
export function parseEnvFile(content: string, file: string): Env {
  const out: Env = {};
  content.split(/\r?\n/).forEach((line, i) => {
    const trimmed = line.trim();
    if (!trimmed || trimmed.startsWith('#')) return;
    const m = /^(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)$/.exec(trimmed);
    if (!m) {
      throw new NexusError('invalid_env_file', `${file}:${i + 1}: expected KEY=value, got "${trimmed.slice(0, 60)}"`, {
        exitCode: EXIT_USAGE,
      });
    }
    let value = m[2] ?? '';
    const quoted = /^(['"])(.*)\1$/.exec(value);
    if (quoted) value = quoted[2] ?? '';
    out[m[1]!] = value;
  });
  return out;
}

function readEnvFile(env: Env, cwd: string): { vars: Env; file: string | undefined } {
  const explicit = env.NEXUS_ENV_FILE;
  const file = explicit ? path.resolve(cwd, explicit) : path.resolve(cwd, 'nexus.env');
  if (!existsSync(file)) {
    if (explicit) {
      throw new NexusError('invalid_setting', `NEXUS_ENV_FILE: ${file} does not exist; it accepts the path of a readable KEY=value file`, {
        exitCode: EXIT_USAGE,
      });
    }
    return { vars: {}, file: undefined };
  }
  return { vars: parseEnvFile(readFileSync(file, 'utf8'), file), file };
}

/**
 * Reads and validates every setting. `env` defaults to the process
 * environment; tests pass their own. All problems are reported at once.
 */
export function loadSettings(env: Env = process.env, cwd: string = process.cwd()): Settings {
  const { vars: fileVars, file } = readEnvFile(env, cwd);
  const merged: Env = { ...fileVars, ...env };
  const problems: string[] = [];
  const out: Record<string, unknown> = {};
  for (const [key, { env: name, spec, default: def }] of Object.entries(SPECS)) {
    const raw = merged[name];
    if (raw === undefined || raw === '') {
      out[key] = def;
      continue;
    }
    const value = (spec as Spec<unknown>).parse(raw);
    if (value === undefined) {
      const shown = name === 'DATABASE_URL' ? redactUrl(raw) : raw;
      problems.push(`${name}: "${shown}" is not valid; it accepts ${spec.accepts}`);
    } else {
      out[key] = value;
    }
  }
  if (problems.length > 0) {
    throw new NexusError('invalid_setting', problems.join('\n'), { exitCode: EXIT_USAGE });
  }
  out.home = path.resolve(cwd, out.home as string);
  out.filesDir = path.resolve(out.home as string, (out.filesDir as string | undefined) ?? 'files');
  out.envFile = file;
  out.unknownVariables = unknownVariables(merged);
  return Object.freeze(out) as Settings;
}

/** Prefixes of variables that are not settings but belong to the tooling (test harness, benchmarks). */
const TOOLING = ['NEXUS_TEST_', 'NEXUS_BENCH_'];

function distance(a: string, b: string): number {
  const d = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = d[0]!;
    d[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const cur = d[j]!;
      d[j] = Math.min(d[j]! + 1, d[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = cur;
    }
  }
  return d[b.length]!;
}

function unknownVariables(env: Env): string[] {
  const known = new Set(['NEXUS_ENV_FILE', ...Object.values(SPECS).map((s) => s.env)]);
  return Object.keys(env)
    .filter((k) => k.startsWith('NEXUS_') && !known.has(k) && !TOOLING.some((p) => k.startsWith(p)))
    .map((k) => {
      const near = [...known].map((n) => [n, distance(k, n)] as const).sort((x, y) => x[1] - y[1])[0];
      return near && near[1] <= 3 ? `${k} (did you mean ${near[0]}?)` : k;
    });
}

/** A URL with its password replaced, safe for messages and logs. */
export function redactUrl(raw: string): string {
  try {
    const u = new URL(raw);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '(unparseable URL)';
  }
}

let cached: Settings | undefined;

/** The process's settings, loaded on first use. */
export function settings(): Settings {
  cached ??= loadSettings();
  return cached;
}

const SECRET_NAME = /^[A-Z][A-Z0-9_]{0,127}$/;

/**
 * A secret named by configuration (a crawl source's credentials): the
 * variable from the environment or the env file. The name must look like an
 * environment variable, and NEXUS_* and DATABASE_URL are never handed out.
 */
export function secretFromEnv(name: string, env: Env = process.env, cwd: string = process.cwd()): string {
  if (!SECRET_NAME.test(name) || name.startsWith('NEXUS_') || name === 'DATABASE_URL') {
    throw new NexusError('invalid_secret_name', `"${name}" cannot name a secret: use UPPER_CASE letters, digits and _ (not NEXUS_* or DATABASE_URL)`, { exitCode: EXIT_USAGE });
  }
  const value = env[name] ?? readEnvFile(env, cwd).vars[name];
  if (value === undefined || value === '') {
    throw new NexusError('secret_missing', `The environment variable ${name} is not set (named as a credential in the configuration)`, { exitCode: EXIT_USAGE });
  }
  return value;
}

/** Whether this process runs as root (PostgreSQL must then run as another user). */
export function runningAsRoot(): boolean {
  return typeof process.getuid === 'function' && process.getuid() === 0;
}
