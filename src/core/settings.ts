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

/** Every setting: its variable, how it is parsed, and its default. */
const SPECS = {
  databaseUrl: { env: 'DATABASE_URL', spec: postgresUrl, default: undefined as string | undefined },
  home: { env: 'NEXUS_HOME', spec: text, default: '.nexus' },
  logLevel: {
    env: 'NEXUS_LOG_LEVEL',
    spec: oneOf('fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'),
    default: 'info' as const,
  },
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
} satisfies Record<string, { env: string; spec: Spec<unknown>; default: unknown }>;

type Specs = typeof SPECS;
type Parsed<K extends keyof Specs> = Specs[K]['spec'] extends Spec<infer T> ? T : never;

export type Settings = Readonly<
  { [K in keyof Specs]: Parsed<K> | Specs[K]['default'] } & {
    /** Absolute path of NEXUS_HOME. */
    home: string;
    /** Absolute path of the file store (NEXUS_FILES_DIR, relative to NEXUS_HOME). */
    filesDir: string;
    /** Where the optional env file was read from, if any. */
    envFile: string | undefined;
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
  return Object.freeze(out) as Settings;
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

/** Whether this process runs as root (PostgreSQL must then run as another user). */
export function runningAsRoot(): boolean {
  return typeof process.getuid === 'function' && process.getuid() === 0;
}
