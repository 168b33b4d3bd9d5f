// The daily logical backup: pg_dump in custom format, as nexus_backup (it has
// pg_read_all_data), from a snapshot exported by our own transaction, so the
// row counts in the manifest describe exactly the data in the dump. The file
// is written under a temporary name and renamed only once it is complete and
// fsynced: a dump with a final name is whole.

import { mkdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { fsyncPath } from './fsync.ts';
import path from 'node:path';
import type pg from 'pg';
import type { DbAccess } from '../db/connection.ts';
import { quoteIdent } from '../db/ident.ts';
import { writeFileAtomic } from '../core/files.ts';
import { NexusError } from '../core/errors.ts';
import { runTool } from './exec.ts';
import { findTool } from './tools.ts';
import { sha256File, manifestPathFor, type DumpManifest } from './manifest.ts';
import { stamp } from './paths.ts';
import { recorded } from './record.ts';

export async function serverMajor(c: pg.Client | pg.Pool): Promise<{ major: number; version: string }> {
  const { rows } = await c.query<{ num: string; v: string }>("SELECT current_setting('server_version_num') AS num, current_setting('server_version') AS v");
  return { major: Math.floor(Number(rows[0]!.num) / 10_000), version: rows[0]!.v };
}

async function countRows(c: pg.Client): Promise<Record<string, number>> {
  const { rows } = await c.query<{ s: string; t: string }>(
    `SELECT n.nspname AS s, c.relname AS t FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE c.relkind = 'r' AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_%'
      ORDER BY 1, 2`,
  );
  const counts: Record<string, number> = {};
  for (const { s, t } of rows) {
    const r = await c.query<{ n: string }>(`SELECT count(*) AS n FROM ${quoteIdent(s)}.${quoteIdent(t)}`);
    counts[`${s}.${t}`] = Number(r.rows[0]!.n);
  }
  return counts;
}

export interface DumpResult {
  artefact: string;
  sizeBytes: number;
  sha256: string;
  manifest: DumpManifest;
}

export async function runDump(db: DbAccess, opts: { dir: string; binDir?: string }): Promise<DumpResult & { runId: number }> {
  return recorded(db, 'dump', async () => {
    const started = new Date();
    mkdirSync(opts.dir, { recursive: true, mode: 0o750 });
    const c = await db.connect('nexus_backup');
    const name = `${db.target.database}-${stamp(started)}.dump`;
    const final = path.join(opts.dir, name);
    const tmp = path.join(opts.dir, `.${name}.partial`);
    try {
      const server = await serverMajor(c);
      const tool = findTool('pg_dump', server.major, opts.binDir);
      await c.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
      const snap = (await c.query<{ id: string }>('SELECT pg_export_snapshot() AS id')).rows[0]!.id;
      const rowCounts = await countRows(c);
      const { user, password } = db.credentials('nexus_backup');
      const t = db.target;
      await runTool(tool.exe, ['-Fc', '-Z', '6', `--snapshot=${snap}`, '-h', t.host, '-p', String(t.port), '-U', user, '-d', t.database, '-f', tmp], {
        password,
        failCode: 'dump_failed',
      }).catch((err: Error) => {
        if (!/row-level security/.test(err.message)) throw err;
        throw new NexusError('backup_role_rls', `nexus_backup may not bypass row-level security, so pg_dump cannot read every table. As a PostgreSQL superuser run: ALTER ROLE nexus_backup BYPASSRLS; (nexus migrate does it when its login may). ${err.message}`);
      });
      await c.query('COMMIT');
      fsyncPath(tmp);
      renameSync(tmp, final);
      fsyncPath(opts.dir);
      const manifest: DumpManifest = {
        format: 'nexus-dump-1',
        file: name,
        database: t.database,
        serverVersion: server.version,
        toolVersion: String(tool.major),
        startedAt: started.toISOString(),
        finishedAt: new Date().toISOString(),
        sizeBytes: statSync(final).size,
        sha256: await sha256File(final),
        rowCounts,
      };
      writeFileAtomic(manifestPathFor(final), JSON.stringify(manifest, null, 2) + '\n', 0o640);
      return { artefact: final, sizeBytes: manifest.sizeBytes, sha256: manifest.sha256, manifest, detail: { tables: Object.keys(rowCounts).length } };
    } finally {
      rmSync(tmp, { force: true });
      await c.end();
    }
  });
}
