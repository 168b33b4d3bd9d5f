// The point-in-time drill: write a marker row, take the moment right after
// its commit as the target, write a second marker after it, then restore the
// latest base backup plus archived WAL to that moment in a temporary cluster
// (run as the unprivileged server user, like the embedded one). The drill
// passes when the first marker is there and the second is not: recovery
// stopped exactly where asked, with every WAL segment it needed.

import { appendFileSync, chmodSync, cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import type { DbAccess } from '../db/connection.ts';
import { EmbeddedCluster } from '../db/cluster.ts';
import { NexusError } from '../core/errors.ts';
import { listBaseBackups, META_FILE } from './basebackup.ts';
import { confString } from './wal.ts';
import { chownTree, serverOsUser } from './osuser.ts';
import { ensureConfigFiles } from './copy-conf.ts';
import type { BackupPaths } from './paths.ts';
import { recorded } from './record.ts';
import { serverBinariesFor } from './tools.ts';

export interface DrillOptions {
  paths: BackupPaths;
  pgBinDir?: string;
  pgOsUser: string;
  /** How long to wait for the target's WAL to reach the archive. */
  archiveWaitMs?: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function writeMarkers(db: DbAccess): Promise<{ before: number; after: number; target: string; segment: string }> {
  const pool = db.pool('nexus_backup');
  const ins = (label: string) => pool.query<{ id: string }>('INSERT INTO nexus.backup_marker (label) VALUES ($1) RETURNING marker_id AS id', [label]);
  const before = Number((await ins('drill: before target')).rows[0]!.id);
  // A separate statement after the commit: its clock is later than the marker's commit.
  const target = (await pool.query<{ t: string }>("SELECT to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US') || '+00' AS t")).rows[0]!.t;
  await sleep(20);
  const after = Number((await ins('drill: after target')).rows[0]!.id);
  const admin = await db.connect('admin');
  try {
    const seg = (await admin.query<{ f: string }>('SELECT pg_walfile_name(pg_current_wal_insert_lsn()) AS f')).rows[0]!.f;
    await admin.query('SELECT pg_switch_wal()');
    return { before, after, target, segment: seg };
  } finally {
    await admin.end();
  }
}

async function waitArchived(dir: string, segment: string, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (!existsSync(path.join(dir, segment))) {
    if (Date.now() > end) throw new NexusError('drill_wal_missing', `WAL segment ${segment} did not reach ${dir} within ${ms / 1000} s; is archiving on (nexus backup wal-setup)?`);
    await sleep(200);
  }
}

export async function runDrill(db: DbAccess, o: DrillOptions) {
  return recorded(db, 'drill', async () => {
    const base = listBaseBackups(o.paths.base)[0];
    if (!base) throw new NexusError('no_base_backup', `No verified base backup in ${o.paths.base}; run \`nexus backup base\` first.`);
    const m = await writeMarkers(db);
    await waitArchived(o.paths.wal, m.segment, o.archiveWaitMs ?? 60_000);
    const tmp = mkdtempSync(path.join(o.paths.root, '.drill-'));
    chmodSync(tmp, 0o711);
    const data = path.join(tmp, 'pg', 'data');
    const t0 = Date.now();
    let cluster: EmbeddedCluster | undefined;
    try {
      cpSync(base.dir, data, { recursive: true });
      rmSync(path.join(data, META_FILE), { force: true });
      chmodSync(path.join(tmp, 'pg'), 0o700);
      chmodSync(data, 0o700);
      writeFileSync(path.join(data, 'recovery.signal'), '');
      ensureConfigFiles(data);
      // postgresql.auto.conf is read last: these win over anything the source set with ALTER SYSTEM.
      appendFileSync(
        path.join(data, 'postgresql.auto.conf'),
        [
          '\n# nexus drill',
          "archive_mode = 'off'",
          `restore_command = ${confString(`cp "${o.paths.wal}/%f" "%p"`)}`,
          `recovery_target_time = ${confString(m.target)}`,
          "recovery_target_action = 'promote'",
          '',
        ].join('\n'),
      );
      chownTree(path.join(tmp, 'pg'), serverOsUser(o.pgOsUser));
      const major = Number(readFileSync(path.join(data, 'PG_VERSION'), 'utf8').trim());
      cluster = new EmbeddedCluster({ dir: path.join(tmp, 'pg'), bin: serverBinariesFor(major, o.pgBinDir), port: 0, osUser: o.pgOsUser, durable: false, superuser: db.credentials('admin') });
      const port = await cluster.start();
      const c = new pg.Client({ ...db.clientConfig('admin'), host: '127.0.0.1', port });
      await c.connect();
      try {
        for (let i = 0; (await c.query<{ r: boolean }>('SELECT pg_is_in_recovery() AS r')).rows[0]!.r; i++) {
          if (i > 600) throw new NexusError('drill_failed', 'The drill cluster did not finish recovery within 120 s.');
          await sleep(200);
        }
        const { rows } = await c.query<{ id: string }>('SELECT marker_id AS id FROM nexus.backup_marker WHERE marker_id = ANY($1)', [[m.before, m.after]]);
        const ids = new Set(rows.map((r) => Number(r.id)));
        const detail = { target: m.target, baseBackup: base.meta.id, beforePresent: ids.has(m.before), afterAbsent: !ids.has(m.after), recoverySeconds: (Date.now() - t0) / 1000 };
        if (!detail.beforePresent || !detail.afterAbsent) {
          throw new NexusError('drill_failed', `Recovery to ${m.target} is wrong: marker before target ${detail.beforePresent ? 'present' : 'MISSING'}, marker after it ${detail.afterAbsent ? 'absent' : 'PRESENT'}.`);
        }
        return { artefact: base.dir, detail };
      } finally {
        await c.end();
      }
    } finally {
      await cluster?.stop().catch(() => undefined);
      rmSync(tmp, { recursive: true, force: true });
    }
  });
}
