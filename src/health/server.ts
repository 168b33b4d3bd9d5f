// The health service's HTTPS endpoints: /healthz (the last round as JSON,
// 503 while any check fails) and /metrics (Prometheus). Thin: the round is
// computed elsewhere and only read here.

import type { FastifyInstance } from 'fastify';
import { createHttpServer, QUIET, type TlsMaterial } from '../core/http.ts';
import type { Logger } from '../core/log.ts';
import type { HealthMetrics } from './metrics.ts';
import type { Round } from './monitor.ts';
import { overall } from './runner.ts';

export function buildHealthServer(opts: { log: Logger; tls: TlsMaterial; metrics: HealthMetrics; latest: () => Round | undefined }): FastifyInstance {
  const app = createHttpServer({ log: opts.log, tls: opts.tls, liveness: false });
  app.get('/healthz', QUIET, async (_req, reply) => {
    const round = opts.latest();
    if (!round) return reply.code(503).send({ status: 'starting', checks: [] });
    const status = overall(round.results);
    return reply.code(status === 'fail' ? 503 : 200).send({ status, checked_at: round.at.toISOString(), checks: round.results });
  });
  app.get('/metrics', async (_req, reply) => reply.type(opts.metrics.contentType).send(await opts.metrics.text()));
  return app;
}
