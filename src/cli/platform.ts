// Bringing the platform up and down: the database (embedded or external),
// its roles and migrations, then the registered services.

import { rmSync } from 'node:fs';
import path from 'node:path';
import { openDatabase, type DbAccess } from '../db/connection.ts';
import type { EmbeddedCluster } from '../db/cluster.ts';
import type { MigrationResult } from '../db/migrate.ts';
import { setupDatabase } from './setup.ts';
import { writeFileAtomic } from '../core/files.ts';
import type { RunningService, ServiceDefinition } from '../core/service.ts';
import { NexusError } from '../core/errors.ts';
import { SETTING_VARIABLES } from '../core/settings.ts';
import type { Runtime } from './runtime.ts';

export interface OpenPlatform {
  db: DbAccess;
  cluster?: EmbeddedCluster;
  /** True when this process started the embedded cluster (and so stops it). */
  startedCluster: boolean;
  migration?: MigrationResult;
}

/**
 * Opens the database. `start`: start the embedded cluster if needed.
 * `setup`: as the administrative login, create roles and database and apply
 * migrations (services alone connect with their own role and skip this).
 */
export async function prepareDatabase(rt: Runtime, opts: { start: boolean; setup: boolean }): Promise<OpenPlatform> {
  const { db, cluster, started } = await openDatabase(rt.settings, { start: opts.start });
  try {
    let migration: MigrationResult | undefined;
    if (opts.setup) migration = await setupDatabase(db, rt.log);
    return { db, ...(cluster ? { cluster } : {}), startedCluster: started, ...(migration ? { migration } : {}) };
  } catch (err) {
    await db.close();
    if (started) await cluster?.stop();
    throw err;
  }
}

export function endpointsFile(home: string): string {
  return path.join(home, 'endpoints.json');
}

export interface Started {
  running: Array<{ name: string; service: RunningService }>;
  endpoints: Record<string, string>;
}

/** Stands in for the database where a service runs without one. */
const NO_DATABASE = new Proxy({} as DbAccess, {
  get() {
    throw new NexusError('db_not_configured', 'This service was started without a database.');
  },
});

/** A port taken or not allowed: the sentence a person can act on instead of a stack. */
function listenError(service: string, err: unknown): NexusError | undefined {
  const e = err as NodeJS.ErrnoException & { address?: string; port?: number };
  if (e?.syscall !== 'listen' || (e.code !== 'EADDRINUSE' && e.code !== 'EACCES' && e.code !== 'EADDRNOTAVAIL')) return undefined;
  const variable = `NEXUS_${service.toUpperCase()}_PORT`;
  const where = `${e.address}:${e.port}`;
  const fix = SETTING_VARIABLES.includes(variable) ? ` or set ${variable} (0 picks a free port)` : '';
  const [code, why] = e.code === 'EADDRINUSE'
    ? ['port_in_use', `${where} is already in use; stop what listens there (\`ss -ltnp 'sport = :${e.port}'\` shows it)${fix}`]
    : e.code === 'EACCES'
      ? ['port_not_allowed', `this user may not listen on ${where} (ports below 1024 need privileges)${fix}`]
      : ['address_unavailable', `${e.address} is not an address of this machine; set the service's host setting to one that is${fix}`];
  return new NexusError(code, `${service} cannot start: ${why}.`, { cause: err });
}

/** Starts services in order; if one fails, stops those already started and rethrows. */
export async function startServices(rt: Runtime, db: DbAccess | undefined, defs: ServiceDefinition[]): Promise<Started> {
  const started: Started = { running: [], endpoints: {} };
  try {
    for (const def of defs) {
      const ctx = { settings: rt.settings, log: rt.log.child({ service: def.name }), db: db ?? NO_DATABASE, endpoints: { ...started.endpoints } };
      const service = await def.start(ctx).catch((err: unknown) => {
        throw listenError(def.name, err) ?? err;
      });
      started.running.push({ name: def.name, service });
      Object.assign(started.endpoints, service.endpoints ?? {});
      rt.log.info({ service: def.name, endpoints: service.endpoints ?? {} }, 'service started');
    }
    return started;
  } catch (err) {
    await stopServices(rt, started);
    throw err;
  }
}

export async function stopServices(rt: Runtime, started: Started): Promise<void> {
  for (const { name, service } of [...started.running].reverse()) {
    try {
      await service.stop();
      rt.log.info({ service: name }, 'service stopped');
    } catch (err) {
      rt.log.error({ service: name, err }, 'service failed to stop cleanly');
    }
  }
  started.running.length = 0;
}

export function writeEndpoints(home: string, endpoints: Record<string, string>): void {
  // Mode 0600: the database URL carries a password.
  writeFileAtomic(endpointsFile(home), JSON.stringify(endpoints, null, 2) + '\n', 0o600);
}

export function removeEndpoints(home: string): void {
  rmSync(endpointsFile(home), { force: true });
}

export async function closePlatform(p: OpenPlatform | undefined): Promise<void> {
  if (!p) return;
  await p.db.close();
  if (p.startedCluster) await p.cluster?.stop();
}

/** Runs a short command against the running database (nothing started or migrated), then closes it. */
export async function withDatabase<T>(rt: Runtime, fn: (p: OpenPlatform) => Promise<T>): Promise<T> {
  const p = await prepareDatabase(rt, { start: false, setup: false });
  try {
    return await fn(p);
  } finally {
    await closePlatform(p);
  }
}
