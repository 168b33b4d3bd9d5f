// PostgreSQL as `nexus install` leaves it, enforced by a real server: a
// private cluster started with the installed pg_hba.conf (our block in front
// of the distribution's rules) and a socket the postgres OS user reaches by
// peer authentication, as on Ubuntu. The install's own steps then make the
// administrative login and the database through psql, idempotently; that
// login (not a superuser) sets up the platform as `nexus migrate` does; and
// each platform role reaches its database over loopback and nothing else.

import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, copyFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { nexus } from '../helpers/cli.ts';
import { scratch } from '../backup/helpers.ts';
import { freshServer } from './helpers.ts';
import { loadSettings, parseEnvFile } from '../../src/core/settings.ts';
import { createLogger } from '../../src/core/log.ts';
import { EmbeddedCluster } from '../../src/db/cluster.ts';
import { findPgBinaries } from '../../src/db/binaries.ts';
import { loadSecrets } from '../../src/db/secrets.ts';
import { openDatabase, type DbAccess } from '../../src/db/connection.ts';
import { setupDatabase } from '../../src/cli/setup.ts';
import { Host } from '../../src/install/host.ts';
import { adminRoleStep, databaseStep } from '../../src/install/postgres.ts';
import { DEFAULT_LAYOUT } from '../../src/install/render.ts';

const root = freshServer();
const installed = await nexus(['install', '--root', root], {});
assert.equal(installed.code, 0, installed.stderr);
const host = new Host(root);
const envFile = path.join(root, 'etc/nexus/nexus.env');

const dir = scratch('hba', false);
const hba = path.join(dir, 'pg_hba.conf');
copyFileSync(path.join(root, 'etc/postgresql/16/main/pg_hba.conf'), hba);
chmodSync(hba, 0o644); // the cluster runs as an unprivileged OS user
const sockets = path.join(dir, 'sockets');
mkdirSync(sockets, { mode: 0o777 });
chmodSync(sockets, 0o1777);
const superHome = path.join(dir, 'super');
const superSecrets = loadSecrets(superHome, true); // the cluster's superuser is "postgres", like Debian's
const cluster = new EmbeddedCluster({
  dir: path.join(superHome, 'pg'),
  bin: findPgBinaries(),
  port: 0,
  osUser: loadSettings({ NEXUS_HOME: superHome }, superHome).pgOsUser,
  durable: false,
  superuser: superSecrets.superuser!,
  extraConf: [`hba_file = '${hba}'`, `unix_socket_directories = '${sockets}'`],
});
let db: DbAccess | undefined;
after(async () => {
  await db?.close();
  await cluster.stop().catch(() => undefined);
  rmSync(dir, { recursive: true, force: true });
});
const port = await cluster.start();
const layout = { ...DEFAULT_LAYOUT, pgPort: port, pgSocketDir: sockets };

async function login(user: string, password: string, database: string): Promise<'ok' | string> {
  const c = new pg.Client({ host: '127.0.0.1', port, user, password, database, connectionTimeoutMillis: 5_000 });
  c.on('error', () => undefined);
  try {
    await c.connect();
    return 'ok';
  } catch (err) {
    return (err as Error).message;
  } finally {
    await c.end().catch(() => undefined);
  }
}

const adminPassword = () => decodeURIComponent(new URL(parseEnvFile(readFileSync(envFile, 'utf8'), envFile).DATABASE_URL!).password);

test('the install makes nexus_admin and the database through psql as postgres, and a second pass changes nothing', async () => {
  const role = adminRoleStep(host, layout);
  const database = databaseStep(layout);
  assert.equal(await role.pending(), 'create');
  await role.apply();
  assert.equal(await role.pending(), undefined);
  assert.equal(await database.pending(), 'create');
  await database.apply();
  assert.equal(await database.pending(), undefined);
  assert.equal(await login('nexus_admin', adminPassword(), 'nexus'), 'ok');
  // A restored /etc/nexus brings another password: the next install gives it to the login.
  const env = readFileSync(envFile, 'utf8');
  writeFileSync(envFile, env.replace(adminPassword(), 'Another-password_0123456789abcdef'));
  assert.equal(await role.pending(), 'set its password');
  await role.apply();
  assert.equal(await role.pending(), undefined);
  assert.equal(await login('nexus_admin', 'Another-password_0123456789abcdef', 'postgres'), 'ok');
  writeFileSync(envFile, env);
  await role.apply();
});

test('PostgreSQL reads the installed pg_hba.conf without an error, our rules first', async () => {
  const c = new pg.Client({ host: '127.0.0.1', port, user: 'postgres', password: superSecrets.superuser!.password, database: 'postgres' });
  await c.connect();
  try {
    const { rows } = await c.query('SELECT line_number, error FROM pg_hba_file_rules WHERE error IS NOT NULL');
    assert.deepEqual(rows, []);
    const { rows: ours } = await c.query('SELECT type, database, user_name, auth_method FROM pg_hba_file_rules ORDER BY line_number LIMIT 5');
    assert.deepEqual(ours[0], { type: 'host', database: ['nexus'], user_name: ['nexus_owner', 'nexus_sync', 'nexus_etl', 'nexus_crawl', 'nexus_import', 'nexus_backup', 'nexus_health', 'clarity_reader'], auth_method: 'scram-sha-256' });
    assert.equal(ours[3]!.auth_method, 'reject');
  } finally {
    await c.end();
  }
});

test('nexus_admin, not a superuser, sets the platform up; each role reaches its database and no other', async () => {
  const home = path.join(dir, 'nexus-home');
  const url = new URL(parseEnvFile(readFileSync(envFile, 'utf8'), envFile).DATABASE_URL!);
  url.port = String(port);
  const settings = loadSettings({ NEXUS_HOME: home, DATABASE_URL: url.toString(), NEXUS_LOG_LEVEL: 'warn' }, home);
  db = (await openDatabase(settings)).db;
  const res = await setupDatabase(db, createLogger('silent'));
  assert.ok(res.applied.length > 10);
  const secrets = loadSecrets(home, false);
  for (const role of ['nexus_sync', 'nexus_etl', 'nexus_backup', 'nexus_health', 'clarity_reader'] as const) {
    assert.equal(await login(role, secrets.roles[role], 'nexus'), 'ok', role);
    assert.match(await login(role, secrets.roles[role], 'postgres'), /pg_hba\.conf rejects connection .*user "\w+", database "postgres"/, role);
  }
  assert.match(await login('nexus_sync', 'wrong', 'nexus'), /password authentication failed/);
  assert.equal(await login('nexus_admin', adminPassword(), 'postgres'), 'ok'); // restore tests create temporary databases from here
});
