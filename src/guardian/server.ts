// Starting Guardian: TLS material, a signing key, the HTTPS server. Used by
// the `guardian` service (`nexus guardian`, `nexus up`) and by other
// components' tests, which start a real Guardian on an ephemeral port.

import { isIP } from 'node:net';
import type { Logger } from '../core/log.ts';
import type { Settings } from '../core/settings.ts';
import type { ServiceDefinition } from '../core/service.ts';
import { createHttpServer } from '../core/http.ts';
import { EXIT_USAGE, NexusError } from '../core/errors.ts';
import { caCertPath, ensureTls, loadServerTls } from '../tls/index.ts';
import { ensureSigningKey } from './keys.ts';
import { guardianRoutes } from './routes.ts';

export interface GuardianServerOptions {
  settings: Settings;
  log: Logger;
  /** Overrides NEXUS_GUARDIAN_HOST / NEXUS_GUARDIAN_PORT (port 0: ephemeral). */
  host?: string;
  port?: number;
}

export interface GuardianServer {
  /** Base URL, e.g. `https://127.0.0.1:8444` (routes live under /guardian/v1). */
  url: string;
  port: number;
  /** The internal CA's certificate, to verify the server with. */
  caPath: string;
  close(): Promise<void>;
}

const WILDCARD = new Set(['0.0.0.0', '::', '127.0.0.1', 'localhost', '::1']);

/** The address clients on this machine use, and the name the certificate must carry. */
function publicHost(host: string): string {
  if (WILDCARD.has(host)) return '127.0.0.1';
  return isIP(host) === 6 ? `[${host}]` : host;
}

export async function startGuardianServer(opts: GuardianServerOptions): Promise<GuardianServer> {
  const { settings, log } = opts;
  const host = opts.host ?? settings.guardianHost;
  const port = opts.port ?? settings.guardianPort;
  await ensureTls(settings.home, [...settings.tlsSans, ...(WILDCARD.has(host) ? [] : [host])]);
  await ensureSigningKey(settings.home);
  const app = createHttpServer({ log, tls: loadServerTls(settings.home), protocolHeader: true, bodyLimit: 128 * 1024 });
  await guardianRoutes(app, settings);
  try {
    await app.listen({ host, port });
  } catch (err) {
    await app.close();
    if ((err as NodeJS.ErrnoException).code === 'EADDRINUSE') {
      throw new NexusError('port_in_use', `Port ${port} on ${host} is already in use; set NEXUS_GUARDIAN_PORT to a free port (0: any).`, {
        exitCode: EXIT_USAGE,
      });
    }
    throw err;
  }
  const address = app.server.address();
  const bound = typeof address === 'object' && address ? address.port : port;
  return {
    url: `https://${publicHost(host)}:${bound}`,
    port: bound,
    caPath: caCertPath(settings.home),
    close: () => app.close(),
  };
}

export const guardianService: ServiceDefinition = {
  name: 'guardian',
  description: 'device identity on the gate: enrolment, access tokens, JWKS, revocations',
  needsDatabase: false,
  async start(ctx) {
    // ctx.db is deliberately unused: the gate has no database.
    const server = await startGuardianServer({ settings: ctx.settings, log: ctx.log });
    return { endpoints: { guardian: server.url }, stop: () => server.close() };
  },
};
