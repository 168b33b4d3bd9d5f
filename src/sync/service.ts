// Starting nexus-sync: TLS from $NEXUS_HOME/tls, the authenticator bound to
// Guardian, the file store, the app, the listener. `nexus sync` and
// `nexus up` use syncService; tests call startSyncServer on port 0.

import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { NexusError, EXIT_USAGE } from '../core/errors.ts';
import type { Logger } from '../core/log.ts';
import type { Settings } from '../core/settings.ts';
import type { ServiceDefinition } from '../core/service.ts';
import type { DbAccess } from '../db/connection.ts';
import { caCertPath, ensureTls, loadServerTls } from '../tls/index.ts';
import { checksSourceAddress, createAuthenticator, type Authenticator } from './auth.ts';

export { checksSourceAddress };
import { fileStoreFor } from './files/deps.ts';
import { buildSyncApp } from './server.ts';

export interface SyncServerOptions {
  settings: Settings;
  log: Logger;
  db: DbAccess;
  guardianUrl: string;
  /** Override NEXUS_SYNC_HOST / NEXUS_SYNC_PORT (port 0: ephemeral). */
  host?: string;
  port?: number;
}

export interface SyncServer {
  url: string;
  port: number;
  app: FastifyInstance;
  auth: Authenticator;
  close(): Promise<void>;
}

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost']);

function publicHost(host: string): string {
  if (host === '0.0.0.0' || host === '::' || LOOPBACK.has(host)) return '127.0.0.1';
  return isIP(host) === 6 ? `[${host}]` : host;
}

export async function startSyncServer(opts: SyncServerOptions): Promise<SyncServer> {
  const { settings, log, db } = opts;
  const host = opts.host ?? settings.syncHost;
  const port = opts.port ?? settings.syncPort;
  await ensureTls(settings.home, [...settings.tlsSans, ...(publicHost(host) === '127.0.0.1' ? [] : [host])]);
  const tls = loadServerTls(settings.home, { requestCert: settings.requireClientCert });
  const ca = readFileSync(caCertPath(settings.home));
  const auth = createAuthenticator({
    guardianUrl: opts.guardianUrl,
    ca,
    settings,
    checkSourceAddress: checksSourceAddress(settings, host),
    log,
  });
  await auth.ready();
  const files = fileStoreFor({ settings, db });
  const app = await buildSyncApp({ settings, log, db, auth, files, tls, guardian: { url: opts.guardianUrl, ca } });
  try {
    await app.listen({ host, port });
  } catch (err) {
    auth.close();
    throw err;
  }
  const address = app.server.address();
  const bound = typeof address === 'object' && address ? address.port : port;
  return {
    url: `https://${publicHost(host)}:${bound}`,
    port: bound,
    app,
    auth,
    async close() {
      auth.close();
      await app.close();
    },
  };
}

export const syncService: ServiceDefinition = {
  name: 'sync',
  description: 'the device API: push, files, parameters (HTTPS, Guardian tokens)',
  async start(ctx) {
    const guardianUrl = ctx.endpoints.guardian ?? ctx.settings.guardianUrl;
    if (!guardianUrl) {
      throw new NexusError('invalid_setting', 'NEXUS_GUARDIAN_URL: not set; sync needs Guardian\u2019s base URL (e.g. https://10.10.0.1:8444) when it runs without `nexus up`', {
        exitCode: EXIT_USAGE,
      });
    }
    const server = await startSyncServer({ settings: ctx.settings, log: ctx.log, db: ctx.db, guardianUrl });
    return { endpoints: { sync: server.url }, stop: () => server.close() };
  },
};
