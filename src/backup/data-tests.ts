// The schema's data tests (src/etl/tests) against a restored copy: a dump
// whose rows all come back can still hold a warehouse that breaks its own
// invariants (two current SCD2 rows, a mart that disagrees with the facts).
//
// In the ETL each test checks the rows its run wrote: `loaded_txid =
// pg_current_xact_id()` (mart_field.changes: `txid = …`). Here every row of
// the copy counts as written by this check, so that scope becomes `true`; a
// test scoped to its run some other way cannot be widened and is reported as
// unscoped rather than passing without looking. Freshness tests read
// `nexus.etl_to`: set to the model's watermark in the copy, they report what
// was still waiting for the ETL when the dump was taken.

import type { DbAccess } from '../db/connection.ts';
import { loadDataTests, type DataTest } from '../etl/models.ts';

const RUN_SCOPE = /\b(?:[a-z_][a-z0-9_]*\.)?(?:loaded_)?txid\s*=\s*pg_current_xact_id\(\)/gi;
/** Rows fetched per test: enough to count "many", never the whole warehouse. */
const MAX_ROWS = 1000;

export interface DataTestFailure {
  test: string;
  model: string;
  severity: 'error' | 'warn';
  /** Failing rows (MAX_ROWS + 1 means "more than MAX_ROWS"). */
  count: number;
  sample: unknown[];
  /** The test itself could not run (its SQL failed on the copy). */
  error?: string;
}

export interface DataTestReport {
  run: number;
  failed: DataTestFailure[];
  warned: DataTestFailure[];
  unscoped: string[];
}

/** The test's SQL over the whole database, or undefined when its scope cannot be widened. */
export function wholeDatabaseSql(sql: string): string | undefined {
  const out = sql.replace(RUN_SCOPE, 'true').replace(/;\s*$/, '');
  return /pg_current_xact_id\s*\(/i.test(out) ? undefined : out;
}

async function watermarks(c: Awaited<ReturnType<DbAccess['connect']>>): Promise<Map<string, string>> {
  const { rows } = await c.query<{ model: string; t: string }>(
    "SELECT model, through_txid::text AS t FROM nexus.etl_watermarks WHERE to_regclass('nexus.etl_watermarks') IS NOT NULL",
  ).catch(() => ({ rows: [] as Array<{ model: string; t: string }> }));
  return new Map(rows.map((r) => [r.model, r.t]));
}

/** Runs every data test read-only against `database` as the administrative login. */
export async function runDataTests(db: DbAccess, database: string, tests: DataTest[] = loadDataTests()): Promise<DataTestReport> {
  const report: DataTestReport = { run: 0, failed: [], warned: [], unscoped: [] };
  const c = await db.connect('admin', database);
  try {
    const wm = await watermarks(c);
    await c.query('BEGIN READ ONLY');
    for (const t of tests) {
      const sql = wholeDatabaseSql(t.sql);
      if (!sql) {
        report.unscoped.push(t.name);
        continue;
      }
      report.run++;
      await c.query('SAVEPOINT data_test');
      let failure: DataTestFailure | undefined;
      try {
        await c.query("SELECT set_config('nexus.etl_from', '0', true), set_config('nexus.etl_to', $1, true), set_config('TimeZone', 'UTC', true)", [wm.get(t.model) ?? '0']);
        const { rows } = await c.query(`SELECT * FROM (${sql}) AS data_test LIMIT ${MAX_ROWS + 1}`);
        if (rows.length) failure = { test: t.name, model: t.model, severity: t.severity, count: rows.length, sample: rows.slice(0, 5) };
        await c.query('RELEASE SAVEPOINT data_test');
      } catch (err) {
        await c.query('ROLLBACK TO SAVEPOINT data_test');
        // A test that cannot run on the copy proves nothing: it counts as failing.
        failure = { test: t.name, model: t.model, severity: 'error', count: 0, sample: [], error: (err as Error).message };
      }
      if (failure) (failure.severity === 'error' ? report.failed : report.warned).push(failure);
    }
  } finally {
    await c.query('ROLLBACK').catch(() => undefined);
    await c.end();
  }
  return report;
}

/** One line per failing test, for run records and alerts. */
export function describeFailures(fs: DataTestFailure[]): string {
  return fs.map((f) => (f.error ? `${f.test}: could not run (${f.error})` : `${f.test}: ${f.count > MAX_ROWS ? `more than ${MAX_ROWS}` : f.count} failing row(s)`)).join('; ');
}
