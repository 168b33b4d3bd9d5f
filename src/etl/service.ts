// The ETL services: `nexus etl-staging` builds the warehouse from staging,
// `nexus etl-marts` the marts from the warehouse. Both are graphile-worker
// runners on the shared queue; each knows only its own task, so any number
// of them on any number of hosts share the work (models lock themselves).
// New data arrives as a debounced `etl_staging` job (nexus.request_etl());
// a crontab line is the safety net.

import { hostname } from 'node:os';
import { run, type Task } from 'graphile-worker';
import type { ServiceContext, ServiceDefinition } from '../core/service.ts';
import type { Layer } from './models.ts';
import { runModels } from './runner.ts';
import { QUEUE_SCHEMA, workerLogger } from './queue.ts';

const DEBOUNCE = { jobKeyMode: 'preserve_run_at' as const, maxAttempts: 5 };
const RETRY_MS = 1000;

function etlTask(ctx: ServiceContext, task: string, layer: Layer, then?: string): Task {
  return async (_payload, helpers) => {
    const results = await runModels(ctx.db, { layers: [layer], worker: `${hostname()}:${process.pid}`, log: ctx.log });
    const bad = results.filter((r) => r.status === 'failed' || r.status === 'test_failed');
    if (then && results.some((r) => r.status === 'ok' && r.rows > 0)) {
      await helpers.addJob(then, {}, { jobKey: then, ...DEBOUNCE });
    }
    // Held back by a transaction still open somewhere: come again shortly.
    if (results.some((r) => r.pending)) {
      await helpers.addJob(task, {}, { jobKey: task, runAt: new Date(Date.now() + RETRY_MS), ...DEBOUNCE });
    }
    // Failed models are recorded in nexus.etl_runs; the job itself succeeds so
    // it is not retried in a tight loop on data that needs a person.
    if (bad.length) ctx.log.error({ failed: bad.map((r) => r.model) }, 'ETL models failed');
  };
}

function etlService(name: string, task: string, layer: Layer, then?: string): ServiceDefinition {
  return {
    name,
    description: `ETL worker: runs the ${layer} models when data arrives and every 5 minutes`,
    async start(ctx) {
      const runner = await run({
        // Its own small pool: each runner holds one connection for LISTEN.
        connectionString: ctx.db.url('nexus_etl'),
        maxPoolSize: 3,
        schema: QUEUE_SCHEMA,
        concurrency: 1,
        noHandleSignals: true,
        pollInterval: 1000,
        logger: workerLogger(ctx.log),
        taskList: { [task]: etlTask(ctx, task, layer, then) },
        crontab: `*/5 * * * * ${task} ?jobKey=${task}&jobKeyMode=preserve_run_at`,
      });
      return { stop: () => runner.stop() };
    },
  };
}

export const etlStagingService = etlService('etl-staging', 'etl_staging', 'warehouse', 'etl_marts');
export const etlMartsService = etlService('etl-marts', 'etl_marts', 'marts');
