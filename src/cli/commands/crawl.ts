// `nexus crawl run <source>|list|status` (`nexus crawl` alone runs the service).

import type { Command } from 'commander';
import { getRuntime } from '../runtime.ts';
import { openDatabase } from '../../db/connection.ts';
import { crawlDir, findSource, loadSources } from '../../crawl/config.ts';
import { crawlSource } from '../../crawl/crawl.ts';
import { crawlStatus } from '../../crawl/status.ts';

export function registerCrawl(program: Command): void {
  const crawl = program.commands.find((c) => c.name() === 'crawl') ?? program.command('crawl').description('crawler');

  crawl
    .command('run <source>')
    .description('crawl one source now (every page) and store what is new in staging')
    .option('--json', 'print JSON')
    .action(async (name: string, opts: { json?: boolean }) => {
      const rt = getRuntime();
      const source = findSource(crawlDir(rt.settings), name);
      const { db } = await openDatabase(rt.settings);
      try {
        const r = await crawlSource(db, source, { log: rt.log, worker: 'cli' });
        if (opts.json) process.stdout.write(JSON.stringify(r, null, 2) + '\n');
        else {
          process.stdout.write(`${r.status} ${r.source}: ${r.pages} page(s), ${r.stored} new, ${r.duplicates} already stored, ${r.unchanged} not modified, ${r.bytes} bytes in ${Math.round(r.ms)} ms\n`);
          if (r.error) process.stdout.write(`  ${r.errorCode}: ${r.error}\n`);
        }
        if (r.status !== 'ok') process.exitCode = 1;
      } finally {
        await db.close();
      }
    });

  crawl
    .command('list')
    .description(`the sources declared in NEXUS_CRAWL_DIR (default $NEXUS_HOME/crawl.d)`)
    .option('--json', 'print JSON')
    .action((opts: { json?: boolean }) => {
      const sources = loadSources(crawlDir(getRuntime().settings));
      if (opts.json) {
        process.stdout.write(JSON.stringify(sources.map(({ name, kind, url, schedule, entity, file }) => ({ name, kind, url, schedule: schedule ?? null, entity: entity ?? null, file })), null, 2) + '\n');
        return;
      }
      if (!sources.length) process.stdout.write(`no sources in ${crawlDir(getRuntime().settings)}\n`);
      for (const s of sources) process.stdout.write(`${s.name.padEnd(24)} ${s.kind.padEnd(10)} ${(s.schedule ?? 'manual').padEnd(16)} ${s.url}\n`);
    });

  crawl
    .command('status')
    .description('per source: the last run, what it stored, and the last error')
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean }) => {
      const rt = getRuntime();
      const sources = loadSources(crawlDir(rt.settings));
      const { db } = await openDatabase(rt.settings);
      try {
        const rows = await crawlStatus(db, sources.map((s) => s.name));
        if (opts.json) {
          process.stdout.write(JSON.stringify(rows, null, 2) + '\n');
          return;
        }
        for (const r of rows) {
          process.stdout.write(
            `${r.source.padEnd(24)} ${(r.last_status ?? 'never run').padEnd(9)} ${r.last_run_at ?? '-'}  ${r.stored_rows} stored, ${r.runs} run(s), ${r.failed_runs} failed` +
              `${r.last_error ? `\n    ${r.last_error_code}: ${r.last_error}` : ''}\n`,
          );
        }
      } finally {
        await db.close();
      }
    });
}
