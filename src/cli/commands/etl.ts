// `nexus etl run|status`.

import type { Command } from 'commander';
import { getRuntime } from '../runtime.ts';
import { openDatabase } from '../../db/connection.ts';
import { runModels } from '../../etl/runner.ts';
import { etlStatus } from '../../etl/status.ts';

export function registerEtl(program: Command): void {
  const etl = program.command('etl').description('transform staging → warehouse → marts (run models, show status)');

  etl
    .command('run [models...]')
    .description('run ETL models now (default: all, in dependency order)')
    .option('--full-refresh', 'empty the models (and everything downstream) and rebuild them from staging')
    .action(async (models: string[], opts: { fullRefresh?: boolean }) => {
      const rt = getRuntime();
      const { db } = await openDatabase(rt.settings);
      try {
        const results = await runModels(db, { ...(models.length ? { models } : {}), fullRefresh: !!opts.fullRefresh, worker: 'cli', log: rt.log });
        for (const r of results) {
          const tests = r.testFailures?.map((f) => `${f.test} (${f.severity}): ${f.count} row(s)`).join('; ');
          process.stdout.write(`${r.status.padEnd(11)} ${r.model.padEnd(24)} ${String(r.rows).padStart(8)} rows ${Math.round(r.ms)} ms${r.error ? `  ${r.error}` : ''}${tests ? `  tests: ${tests}` : ''}\n`);
        }
        if (results.some((r) => r.status !== 'ok')) process.exitCode = 1;
      } finally {
        await db.close();
      }
    });

  etl
    .command('status')
    .description('watermarks, backlog, last run and failed data tests per model')
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean }) => {
      const { db } = await openDatabase(getRuntime().settings);
      try {
        const rows = await etlStatus(db);
        if (opts.json) {
          process.stdout.write(JSON.stringify(rows, null, 2) + '\n');
          return;
        }
        for (const r of rows) {
          process.stdout.write(
            `${r.model.padEnd(24)} ${String(r.last_status ?? 'never run').padEnd(11)} backlog ${String(r.backlog_rows ?? '-').padStart(7)}` +
              `${r.oldest_waiting_at ? ` (oldest ${r.oldest_waiting_at})` : ''}  last run ${r.last_run_at ?? '-'}` +
              `${r.last_error ? `\n    error: ${r.last_error}` : ''}${r.test_failures ? `\n    tests: ${JSON.stringify(r.test_failures)}` : ''}\n`,
          );
        }
      } finally {
        await db.close();
      }
    });
}
