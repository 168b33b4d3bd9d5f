// Where the database is and how each role reaches it. With DATABASE_URL the
// database is external and that URL is the administrative login; otherwise
// it is the embedded cluster under $NEXUS_HOME/pg.

import pg from 'pg';
import path from 'node:path';
import type { Settings } from '../core/settings.ts';
import { NexusError, EXIT_USAGE } from '../core/errors.ts';
import { findPgBinaries } from './binaries.ts';
import { EmbeddedCluster } from './cluster.ts';
import { loadSecrets, type DbSecrets } from './secrets.ts';
import { mapPgError, type ConnTarget } from './errors.ts';
import type { RoleName } from './roles.ts';

export type Login = RoleName | 'admin';

export interface DbTarget extends ConnTarget {
  admin: { user: string; password: string };
  /** Where the admin login creates the database from (embedded only). */
  maintenanceDb?: string;
}

export function embeddedCluster(settings: Settings, secrets = loadSecrets(settings.home, true)): EmbeddedCluster {
  return new EmbeddedCluster({
    dir: path.join(settings.home, 'pg'),
    bin: findPgBinaries(settings.pgBinDir),
    port: settings.pgPort,
    osUser: settings.pgOsUser,
    durable: settings.pgDurable,
    superuser: secrets.superuser!,
  });
}

export function targetFromUrl(url: string): DbTarget {
  const u = new URL(url);
  return {
    host: u.hostname,
    port: Number(u.port || 5432),
    database: decodeURIComponent(u.pathname.replace(/^\//, '')) || 'nexus',
    user: decodeURIComponent(u.username),
    admin: { user: decodeURIComponent(u.username), password: decodeURIComponent(u.password) },
  };
}

/** Connection facts and one pool per login, shared by a process. */
export class DbAccess {
  private readonly pools = new Map<Login, pg.Pool>();

  readonly target: DbTarget;
  readonly secrets: DbSecrets;

  constructor(target: DbTarget, secrets: DbSecrets) {
    this.target = target;
    this.secrets = secrets;
  }

  credentials(login: Login): { user: string; password: string } {
    return login === 'admin' ? this.target.admin : { user: login, password: this.secrets.roles[login] };
  }

  url(login: Login, database = this.target.database): string {
    const { user, password } = this.credentials(login);
    const u = new URL('postgres://localhost');
    u.hostname = this.target.host;
    u.port = String(this.target.port);
    u.username = encodeURIComponent(user);
    u.password = encodeURIComponent(password);
    u.pathname = `/${encodeURIComponent(database)}`;
    return u.toString();
  }

  clientConfig(login: Login, database = this.target.database): pg.ClientConfig {
    const { user, password } = this.credentials(login);
    return { host: this.target.host, port: this.target.port, database, user, password, connectionTimeoutMillis: 10_000 };
  }

  pool(login: Login, max = 10): pg.Pool {
    let p = this.pools.get(login);
    if (!p) {
      p = new pg.Pool({ ...this.clientConfig(login), max, idleTimeoutMillis: 30_000 });
      // An idle client losing its server must not crash the process.
      p.on('error', () => undefined);
      this.pools.set(login, p);
    }
    return p;
  }

  /** A single connection, closed by the caller; errors are mapped to NexusError. */
  async connect(login: Login, database = this.target.database): Promise<pg.Client> {
    const client = new pg.Client(this.clientConfig(login, database));
    client.on('error', () => undefined);
    try {
      await client.connect();
      return client;
    } catch (err) {
      throw mapPgError(err, { ...this.target, database, user: this.credentials(login).user });
    }
  }

  async close(): Promise<void> {
    const all = [...this.pools.values()];
    this.pools.clear();
    await Promise.all(all.map((p) => p.end()));
  }
}

/**
 * Opens the platform's database. Embedded: starts the cluster when `start`
 * is set, else requires it to be running.
 */
export async function openDatabase(settings: Settings, opts: { start?: boolean } = {}): Promise<{ db: DbAccess; cluster?: EmbeddedCluster; started: boolean }> {
  if (settings.databaseUrl) {
    return { db: new DbAccess(targetFromUrl(settings.databaseUrl), loadSecrets(settings.home, false)), started: false };
  }
  const secrets = loadSecrets(settings.home, true);
  const cluster = embeddedCluster(settings, secrets);
  let st = await cluster.status();
  let started = false;
  if (!st.running) {
    if (!opts.start) {
      throw new NexusError('db_not_running', `The embedded database (${cluster.dataDir}) is not running; start it with \`nexus db start\` or \`nexus up\`.`, {
        exitCode: EXIT_USAGE,
      });
    }
    await cluster.start();
    started = true;
    st = await cluster.status();
  }
  const target: DbTarget = {
    host: '127.0.0.1',
    port: st.port!,
    database: settings.dbName,
    admin: secrets.superuser!,
    maintenanceDb: 'postgres',
  };
  return { db: new DbAccess(target, secrets), cluster, started };
}

export { mapPgError };
