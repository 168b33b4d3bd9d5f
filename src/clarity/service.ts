// `nexus clarity` (the service): opens the DuckDB engine, refreshes it from
// the marts at start, then every NEXUS_CLARITY_REFRESH_SECONDS and on demand,
// and serves the web app over HTTPS with the platform's certificate.

import type { AddressInfo } from 'node:net';
import type { RunningService, ServiceDefinition } from '../core/service.ts';
import { ensureTls, loadServerTls } from '../tls/index.ts';
import { clarityPaths } from './paths.ts';
import { Engine } from './engine.ts';
import { JsonStore } from './store.ts';
import { Sessions } from './sessions.ts';
import { refreshMarts } from './refresh.ts';
import { refreshSources } from './sources.ts';
import { buildClarityServer } from './server.ts';
import { listUsers } from './users.ts';

export const clarityService: ServiceDefinition = {
  name: 'clarity',
  description: 'Clarity BI: dashboards, SQL and exports over the marts (DuckDB engine)',
  async start(ctx): Promise<RunningService> {
    const s = ctx.settings;
    await ensureTls(s.home, s.tlsSans);
    const paths = clarityPaths(s.home);
    const engine = await Engine.open(paths, { memoryLimit: s.clarityMemoryLimit });
    const store = new JsonStore(paths.state);
    let running: Promise<unknown> | undefined;
    // One refresh at a time; a request during a refresh waits for that one.
    const refresh = (): Promise<unknown> => {
      running ??= (async () => {
        const r = await refreshMarts(engine, ctx.db);
        const extra = await refreshSources(engine, store);
        ctx.log.info({ ms: Math.round(r.ms), tables: r.tables.length, copied: r.tables.reduce((n, t) => n + t.copied, 0), extra }, 'clarity refresh');
        return r;
      })().finally(() => {
        running = undefined;
      });
      return running;
    };
    await refresh().catch((err: unknown) => ctx.log.error({ err }, 'clarity: first refresh failed; serving what the engine holds'));
    let stopping = false;
    let timer: NodeJS.Timeout | undefined;
    const loop = (): void => {
      if (stopping || !s.clarityRefreshSeconds) return;
      timer = setTimeout(() => {
        refresh()
          .catch((err: unknown) => ctx.log.error({ err }, 'clarity refresh failed'))
          .finally(loop);
      }, s.clarityRefreshSeconds * 1000);
    };
    loop();
    const app = await buildClarityServer({ log: ctx.log, tls: loadServerTls(s.home), app: { engine, store, sessions: new Sessions(store), refresh } });
    await app.listen({ host: s.clarityHost, port: s.clarityPort });
    const port = (app.server.address() as AddressInfo).port;
    const host = s.clarityHost === '0.0.0.0' ? '127.0.0.1' : s.clarityHost;
    // Nobody can sign in yet: say how to make the first account.
    if (listUsers(store).length === 0) ctx.log.warn('no Clarity account yet: add one with `npx nexus clarity user add <name> --role admin` (it asks for the password)');
    return {
      endpoints: { clarity: `https://${host}:${port}` },
      async stop() {
        stopping = true;
        clearTimeout(timer);
        await app.close();
        await running?.catch(() => undefined);
        engine.close();
      },
    };
  },
};
