// Restores. The restore test puts the latest good dump into a throwaway
// database, compares every table's row count with the manifest, runs the
// schema's data tests on it (data-tests.ts) and drops it;
// `restoreInto` restores a dump into a new database for real (never over an
// existing one: disaster recovery renames databases by hand, see
// docs/operations.md). Both run as the administrative login, which may
// create databases.

import { randomBytes } from 'node:crypto';
import type { DbAccess } from '../db/connection.ts';
import { quoteIdent } from '../db/ident.ts';
import { NexusError, usageError } from '../core/errors.ts';
import { runTool } from './exec.ts';
import { listDumps, readManifest, type DumpManifest } from './manifest.ts';
import { latestGoodDump, pgRestoreFor, verifyDumpFile } from './verify.ts';
import { recorded } from './record.ts';
import { describeFailures, runDataTests } from './data-tests.ts';

async function adminExec(db: DbAccess, sql: string, params: unknown[] = []): Promise<Array<Record<string, unknown>>> {
  const c = await db.connect('admin', db.target.maintenanceDb ?? 'postgres');
  try {
    return (await c.query(sql, params)).rows;
  } finally {
    await c.end();
  }
}

async function pgRestore(db: DbAccess, exe: string, file: string, database: string, extra: string[]): Promise<void> {
  const { user, password } = db.credentials('admin');
  const t = db.target;
  await runTool(exe, ['--exit-on-error', ...extra, '-h', t.host, '-p', String(t.port), '-U', user, '-d', database, file], { password, failCode: 'restore_failed' });
}

export async function countMismatches(db: DbAccess, database: string, manifest: DumpManifest): Promise<string[]> {
  const c = await db.connect('admin', database);
  const out: string[] = [];
  try {
    for (const [name, expected] of Object.entries(manifest.rowCounts)) {
      const [schema, table] = name.split(/\.(.*)/s) as [string, string];
      const r = await c.query<{ n: string }>(`SELECT count(*) AS n FROM ${quoteIdent(schema)}.${quoteIdent(table)}`).catch(() => undefined);
      const got = r ? Number(r.rows[0]!.n) : -1;
      if (got !== expected) out.push(`${name}: ${got < 0 ? 'missing' : got} rows, manifest says ${expected}`);
    }
  } finally {
    await c.end();
  }
  return out;
}

export async function restoreTest(db: DbAccess, opts: { dir: string; binDir?: string }) {
  return recorded(db, 'restore_test', async () => {
    const exe = await pgRestoreFor(db, opts.binDir);
    const { good, tried } = await latestGoodDump(listDumps(opts.dir), exe);
    if (!good?.manifest) {
      throw new NexusError('no_good_dump', `No dump in ${opts.dir} verifies${tried.length ? `: ${tried.map((t) => t.problems.join('; ')).join(' / ')}` : ''}; run \`nexus backup run\`.`);
    }
    const temp = `nexus_restore_test_${randomBytes(4).toString('hex')}`;
    await adminExec(db, `CREATE DATABASE ${quoteIdent(temp)} TEMPLATE template0`);
    try {
      // Owners and grants are not what this test checks; without them it also runs as a non-superuser admin.
      await pgRestore(db, exe, good.dumpFile, temp, ['--no-owner', '--no-acl']);
      const mismatches = await countMismatches(db, temp, good.manifest);
      if (mismatches.length) throw new NexusError('restore_mismatch', `The restored copy of ${good.manifest.file} differs: ${mismatches.join('; ')}`);
      const tests = await runDataTests(db, temp);
      const dataTests = { run: tests.run, failed: tests.failed, warned: tests.warned.map((w) => w.test), unscoped: tests.unscoped };
      if (tests.failed.length) {
        throw new NexusError('restore_data_tests_failed', `The restored copy of ${good.manifest.file} fails ${tests.failed.length} of ${tests.run} data tests: ${describeFailures(tests.failed)}`, {
          extra: { dataTests },
        });
      }
      const rows = Object.values(good.manifest.rowCounts).reduce((a, b) => a + b, 0);
      return { artefact: good.dumpFile, sha256: good.manifest.sha256, sizeBytes: good.manifest.sizeBytes, detail: { tables: Object.keys(good.manifest.rowCounts).length, rows, dataTests } };
    } finally {
      await adminExec(db, `DROP DATABASE IF EXISTS ${quoteIdent(temp)} WITH (FORCE)`);
    }
  });
}

/** Restores `file` into the new database `into`, with owners and grants, and checks its row counts. */
export async function restoreInto(db: DbAccess, file: string, into: string, binDir?: string): Promise<{ database: string; mismatches: string[] }> {
  const exe = await pgRestoreFor(db, binDir);
  const exists = await adminExec(db, 'SELECT 1 FROM pg_database WHERE datname = $1', [into]);
  if (exists.length) throw usageError('database_exists', `Database ${into} exists; restore into a new name and swap names when ready (docs/operations.md).`);
  const check = await verifyDumpFile(file, exe);
  const manifest = readManifest(file);
  if (!check.ok || !manifest) throw new NexusError('dump_invalid', `${file} does not verify: ${check.problems.join('; ')}`);
  await adminExec(db, `CREATE DATABASE ${quoteIdent(into)} TEMPLATE template0 OWNER nexus_owner`);
  await pgRestore(db, exe, file, into, []);
  return { database: into, mismatches: await countMismatches(db, into, manifest) };
}
