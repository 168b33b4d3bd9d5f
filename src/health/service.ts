// `nexus health` (the service): a health round at start and then every
// NEXUS_HEALTH_INTERVAL_SECONDS; /healthz and /metrics over HTTPS with the
// platform's certificate.

import type { AddressInfo } from 'node:net';
import type { RunningService, ServiceDefinition } from '../core/service.ts';
import { ensureTls, loadServerTls } from '../tls/index.ts';
import { HealthMetrics } from './metrics.ts';
import { healthRound, type Round } from './monitor.ts';
import { buildHealthServer } from './server.ts';
import { watchedEndpoints } from './endpoints.ts';

export const healthService: ServiceDefinition = {
  name: 'health',
  description: 'health checks with history, alerts on change, /healthz and /metrics',
  async start(ctx): Promise<RunningService> {
    const s = ctx.settings;
    await ensureTls(s.home, s.tlsSans);
    const metrics = new HealthMetrics();
    const endpoints = watchedEndpoints(s, ctx.endpoints);
    let latest: Round | undefined;
    let stopping = false;
    let timer: NodeJS.Timeout | undefined;
    let current: Promise<void> = Promise.resolve();
    const round = async (): Promise<void> => {
      try {
        latest = await healthRound(s, ctx.db, endpoints);
        metrics.update(latest.results, latest.at);
        for (const a of latest.alerts) ctx.log.warn({ check: a.name, status: a.status }, a.message);
      } catch (err) {
        ctx.log.error({ err }, 'health round failed');
      }
    };
    const loop = (): void => {
      current = round().finally(() => {
        if (!stopping) timer = setTimeout(loop, s.healthIntervalSeconds * 1000);
      });
    };
    const app = buildHealthServer({ log: ctx.log, tls: loadServerTls(s.home), metrics, latest: () => latest });
    await app.listen({ host: s.healthHost, port: s.healthPort });
    loop();
    const port = (app.server.address() as AddressInfo).port;
    const host = s.healthHost === '0.0.0.0' ? '127.0.0.1' : s.healthHost;
    return {
      endpoints: { health: `https://${host}:${port}` },
      async stop() {
        stopping = true;
        clearTimeout(timer);
        await current;
        await app.close();
      },
    };
  },
};
