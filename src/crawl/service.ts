// `nexus crawl` (the service): a graphile-worker runner on the shared queue,
// connected as nexus_crawl, that knows one task, crawl_source. Each source
// with a `schedule` gets a crontab entry; a job key per source keeps a slow
// crawl from piling up copies. Source files are re-read for every job, so an
// edit applies at the next run; a changed schedule applies at restart.

import { hostname } from 'node:os';
import { parseCronItems, run, type Task } from 'graphile-worker';
import type { ServiceContext, ServiceDefinition } from '../core/service.ts';
import { QUEUE_SCHEMA, workerLogger } from '../etl/queue.ts';
import { crawlDir, findSource, scanSources, type CrawlSource } from './config.ts';
import { crawlSource } from './crawl.ts';

export const CRAWL_TASK = 'crawl_source';

export function cronItems(sources: CrawlSource[]) {
  return parseCronItems(
    sources.filter((s) => s.schedule).map((s) => ({
      task: CRAWL_TASK,
      match: s.schedule!,
      identifier: `crawl:${s.name}`,
      payload: { source: s.name },
      options: { backfillPeriod: 0, jobKey: `crawl:${s.name}`, jobKeyMode: 'preserve_run_at' as const, maxAttempts: 1 },
    })),
  );
}

function crawlTask(ctx: ServiceContext): Task {
  return async (payload) => {
    const name = (payload as { source?: unknown } | null)?.source;
    if (typeof name !== 'string') {
      ctx.log.error({ payload }, 'crawl job without a source name');
      return;
    }
    // An unknown or invalid source is a configuration problem: logged, not retried.
    let source: CrawlSource;
    try {
      source = findSource(crawlDir(ctx.settings), name);
    } catch (err) {
      ctx.log.error({ source: name, err: (err as Error).message }, 'crawl source not usable');
      return;
    }
    const r = await crawlSource(ctx.db, source, { log: ctx.log, worker: `${hostname()}:${process.pid}` });
    ctx.log.info({ source: name, status: r.status, pages: r.pages, stored: r.stored, unchanged: r.unchanged, ms: Math.round(r.ms) }, 'crawl done');
  };
}

export const crawlService: ServiceDefinition = {
  name: 'crawl',
  description: 'crawler: fetches the sources of NEXUS_CRAWL_DIR on their schedules into staging.crawl_raw',
  async start(ctx) {
    // A mistake in one file must not stop the others (nor `nexus up`): logged, skipped.
    const { sources, errors } = scanSources(crawlDir(ctx.settings));
    for (const e of errors) ctx.log.error({ code: e.code }, e.message);
    const runner = await run({
      connectionString: ctx.db.url('nexus_crawl'),
      maxPoolSize: Math.max(3, ctx.settings.crawlConcurrency + 1),
      schema: QUEUE_SCHEMA,
      concurrency: ctx.settings.crawlConcurrency,
      noHandleSignals: true,
      pollInterval: 1000,
      logger: workerLogger(ctx.log),
      taskList: { [CRAWL_TASK]: crawlTask(ctx) },
      parsedCronItems: cronItems(sources),
    });
    ctx.log.info({ sources: sources.length, scheduled: sources.filter((s) => s.schedule).length }, 'crawl service started');
    return { stop: () => runner.stop() };
  },
};
