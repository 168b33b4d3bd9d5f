// A streaming read replica of the platform's cluster (DESIGN.md §5: Clarity
// and pulls can read from it): pg_basebackup -R copies the primary and
// writes the standby settings, then the copy starts as an embedded cluster
// run by the unprivileged server user. nexus-health watches its lag on the
// primary (pg_stat_replication).

import { chmodSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { DbAccess } from '../db/connection.ts';
import { EmbeddedCluster } from '../db/cluster.ts';
import { findPgBinaries } from '../db/binaries.ts';
import { NexusError, usageError } from '../core/errors.ts';
import { runTool } from './exec.ts';
import { findTool, serverBinariesFor } from './tools.ts';
import { serverMajor } from './dump.ts';
import { chownTree, serverOsUser } from './osuser.ts';
import { ensureConfigFiles } from './copy-conf.ts';

export interface ReplicaOptions {
  /** Folder of the replica cluster (its data goes to <dir>/data). */
  dir: string;
  pgBinDir?: string;
  pgOsUser: string;
  /** Name the primary shows in pg_stat_replication. */
  name?: string;
  durable?: boolean;
}

export function replicaCluster(db: DbAccess, o: ReplicaOptions): EmbeddedCluster {
  const versionFile = path.join(o.dir, 'data', 'PG_VERSION');
  const bin = existsSync(versionFile) ? serverBinariesFor(Number(readFileSync(versionFile, 'utf8').trim()), o.pgBinDir) : findPgBinaries(o.pgBinDir);
  return new EmbeddedCluster({ dir: o.dir, bin, port: 0, osUser: o.pgOsUser, durable: o.durable ?? true, superuser: db.credentials('admin') });
}

/** Copies the primary into `dir` and starts the replica; returns it running. */
export async function createReplica(db: DbAccess, o: ReplicaOptions): Promise<{ cluster: EmbeddedCluster; port: number }> {
  const data = path.join(o.dir, 'data');
  if (existsSync(data)) throw usageError('replica_exists', `${data} exists already; start it with its cluster, or remove it to make a new copy.`);
  const c = await db.connect('admin');
  const server = await serverMajor(c).finally(() => c.end());
  const basebackup = findTool('pg_basebackup', server.major, o.pgBinDir);
  mkdirSync(o.dir, { recursive: true, mode: 0o700 });
  const { user, password } = db.credentials('admin');
  const conn = `host=${db.target.host} port=${db.target.port} user=${user} application_name=${o.name ?? 'nexus_replica'}`;
  await runTool(basebackup.exe, ['-D', data, '-Fp', '-X', 'stream', '-R', '-c', 'fast', '-d', conn], { password, failCode: 'replica_copy_failed' });
  if (!existsSync(path.join(data, 'standby.signal'))) throw new NexusError('replica_copy_failed', `pg_basebackup -R wrote no standby.signal into ${data}`);
  ensureConfigFiles(data);
  chmodSync(o.dir, 0o700);
  chmodSync(data, 0o700);
  chownTree(o.dir, serverOsUser(o.pgOsUser));
  const cluster = replicaCluster(db, o);
  const port = await cluster.start();
  return { cluster, port };
}
