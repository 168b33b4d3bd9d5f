// PostgreSQL on the server: archiving settings and pg_hba rules (files, in
// any root), then on the live system the reload or restart they need, the
// administrative login and the database (as the postgres OS user, through
// psql), and the platform's own roles and schema (`nexus migrate`, as the
// service user).

import { chownSync, existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { NexusError } from '../core/errors.ts';
import { parseEnvFile } from '../core/settings.ts';
import { writeFileAtomic } from '../core/files.ts';
import { file } from './files.ts';
import { must, run, type Host } from './host.ts';
import { renderHbaBlock, renderPostgresConf, withHbaBlock, type Layout } from './render.ts';
import type { Step } from './steps.ts';

/** Debian's layout: /etc/postgresql/<major>/main; the newest major installed. */
export function clusterConfDir(host: Host): string {
  const base = host.at('/etc/postgresql');
  const majors = existsSync(base) ? readdirSync(base).filter((v) => /^\d+$/.test(v) && existsSync(path.join(base, v, 'main', 'pg_hba.conf'))) : [];
  if (!majors.length) throw new NexusError('postgres_missing', `No PostgreSQL cluster in ${base}/<version>/main: apt-get install postgresql (Ubuntu 24.04 installs 16)`);
  const v = majors.sort((a, b) => Number(b) - Number(a))[0]!;
  return `/etc/postgresql/${v}/main`;
}

/** Set by the files steps, read by the system step that applies them. */
export interface PgChanges {
  restart: boolean;
  reload: boolean;
}

export function confStep(host: Host, l: Layout, changes: PgChanges): Step {
  const s = file(host, `${clusterConfDir(host)}/conf.d/nexus.conf`, () => renderPostgresConf(l), { user: 'postgres', group: 'postgres', mode: 0o644 });
  // archive_mode and wal_level take effect only at a restart.
  return { ...s, apply: async () => { await s.apply(); changes.restart = true; } };
}

export function hbaStep(host: Host, l: Layout, changes: PgChanges): Step {
  const p = `${clusterConfDir(host)}/pg_hba.conf`;
  const full = host.at(p);
  const next = () => withHbaBlock(readFileSync(full, 'utf8'), renderHbaBlock(l));
  return {
    kind: 'files',
    title: `pg_hba rules in ${p} (the platform's roles: loopback, scram-sha-256)`,
    async pending() {
      return readFileSync(full, 'utf8') === next() ? undefined : 'put the nexus rules first';
    },
    async apply() {
      const st = statSync(full);
      writeFileAtomic(full, next(), st.mode & 0o7777);
      chownSync(full, st.uid, st.gid); // the file keeps its owner (postgres) and mode
      changes.reload = true;
    },
  };
}

/**
 * SQL through psql as the postgres OS user (peer authentication: no password
 * anywhere). Values go in as psql variables, which psql quotes (:'v' as a
 * literal, :"v" as an identifier); the script travels on stdin.
 */
function psql(l: Layout, sql: string, vars: Record<string, string> = {}): Promise<string> {
  const set = Object.entries(vars).map(([k, v]) => {
    if (!/^[A-Za-z0-9_-]+$/.test(v)) throw new NexusError('install_value_invalid', `${k} must be letters, digits, - and _ only`);
    return `\\set ${k} '${v}'\n`;
  });
  const where = [...(l.pgSocketDir ? ['-h', l.pgSocketDir] : []), '-p', String(l.pgPort)];
  return must('runuser', ['-u', 'postgres', '--', 'psql', '-X', '-q', '-t', '-A', '-v', 'ON_ERROR_STOP=1', ...where, '-d', 'postgres'], { input: set.join('') + sql, pkg: 'postgresql-client' });
}

export function applyPgStep(l: Layout, changes: PgChanges): Step {
  return {
    kind: 'system',
    title: 'PostgreSQL picks up the settings and rules',
    async pending() {
      return changes.restart ? 'restart (archiving settings changed)' : changes.reload ? 'reload (pg_hba changed)' : undefined;
    },
    async apply() {
      // Rules that do not parse would lock everyone out at the next reload: refuse them now.
      const bad = await psql(l, "SELECT line_number || ': ' || error FROM pg_hba_file_rules WHERE error IS NOT NULL;");
      if (bad.trim()) throw new NexusError('pg_hba_invalid', `pg_hba.conf has errors, PostgreSQL was not reloaded: ${bad.trim()}`);
      await must('systemctl', [changes.restart ? 'restart' : 'reload', 'postgresql']);
      await must('pg_isready', ['-q', '-t', '60', '-h', '127.0.0.1', '-p', String(l.pgPort)], { pkg: 'postgresql-client' });
    },
  };
}

function adminPassword(host: Host, l: Layout): string {
  const env = parseEnvFile(readFileSync(host.at(l.envFile), 'utf8'), l.envFile);
  const pw = env.DATABASE_URL ? decodeURIComponent(new URL(env.DATABASE_URL).password) : '';
  if (!pw) throw new NexusError('install_no_password', `${l.envFile} has no password in DATABASE_URL`);
  return pw;
}

async function canLogIn(l: Layout, password: string): Promise<boolean> {
  const c = new pg.Client({ host: '127.0.0.1', port: l.pgPort, user: l.adminRole, password, database: 'postgres', connectionTimeoutMillis: 5_000 });
  c.on('error', () => undefined);
  try {
    await c.connect();
    return true;
  } catch {
    return false;
  } finally {
    await c.end().catch(() => undefined);
  }
}

const ATTRS = 'LOGIN NOSUPERUSER CREATEROLE CREATEDB REPLICATION BYPASSRLS';

export function adminRoleStep(host: Host, l: Layout): Step {
  return {
    kind: 'system',
    title: `PostgreSQL login ${l.adminRole} (${ATTRS}; password from ${l.envFile})`,
    async pending() {
      const attrs = await psql(l, `SELECT rolcanlogin AND NOT rolsuper AND rolcreaterole AND rolcreatedb AND rolreplication AND rolbypassrls FROM pg_roles WHERE rolname = :'role';`, { role: l.adminRole });
      if (!attrs.trim()) return 'create';
      if (attrs.trim() !== 't') return 'set its attributes';
      return (await canLogIn(l, adminPassword(host, l))) ? undefined : 'set its password';
    },
    async apply() {
      // The password travels on stdin, never in a command line.
      const vars = { role: l.adminRole, pw: adminPassword(host, l) };
      const exists = (await psql(l, `SELECT 1 FROM pg_roles WHERE rolname = :'role';`, vars)).trim() === '1';
      await psql(l, `${exists ? 'ALTER' : 'CREATE'} ROLE :"role" WITH ${ATTRS} PASSWORD :'pw';`, vars);
    },
  };
}

export function databaseStep(l: Layout): Step {
  return {
    kind: 'system',
    title: `database ${l.dbName} owned by ${l.adminRole}`,
    async pending() {
      return (await psql(l, `SELECT 1 FROM pg_database WHERE datname = :'db';`, { db: l.dbName })).trim() ? undefined : 'create';
    },
    async apply() {
      await psql(l, `CREATE DATABASE :"db" OWNER :"role" ENCODING 'UTF8' TEMPLATE template0;`, { db: l.dbName, role: l.adminRole });
    },
  };
}

/** `nexus migrate` as the service user: the platform's roles (passwords in NEXUS_HOME/secrets), grants, schema. */
export function migrateStep(l: Layout, nexusBin: string): Step {
  const nexus = (args: string[]) => ['-u', 'nexus', '--', '/usr/bin/env', `NEXUS_ENV_FILE=${l.envFile}`, process.execPath, nexusBin, ...args];
  return {
    kind: 'system',
    title: 'roles, grants and schema (nexus migrate, as nexus)',
    async pending() {
      const r = await run('runuser', nexus(['migrate', '--status']));
      if (r.code !== 0) return 'migrate (status unknown: the database answers once the steps above ran)';
      const n = r.stdout.split('\n').filter((x) => x.startsWith('pending')).length;
      return n ? `${n} migration(s) pending` : undefined;
    },
    async apply() {
      await must('runuser', nexus(['migrate']));
    },
  };
}
