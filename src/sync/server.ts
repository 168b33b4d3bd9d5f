// The nexus-sync HTTP application: the shared Fastify factory (problem
// details, Nexus-Protocol check), the OpenAPI document, and one /v1 scope in
// which every route passes the token check first. Routes are thin; the
// domain logic is in push.ts, parameters.ts and ./files.

import path from 'node:path';
import swagger from '@fastify/swagger';
import type { FastifyInstance } from 'fastify';
import type { Logger } from '../core/log.ts';
import { NexusError } from '../core/errors.ts';
import type { Settings } from '../core/settings.ts';
import { createHttpServer, type TlsMaterial } from '../core/http.ts';
import type { DbAccess } from '../db/connection.ts';
import { DEFAULT_LIMITS, PROTOCOL_VERSION } from '../protocol/index.ts';
import type { Authenticator } from './auth.ts';
import type { FileStore } from './files/store.ts';
import { registerFileRoutes } from './files/routes.ts';
import { registerTus } from './files/tus.ts';
import { registerPushRoute } from './routes/push.ts';
import { registerParametersRoute } from './routes/parameters.ts';
import { registerPullRoute } from './routes/pull.ts';
import { registerImportRoutes } from '../imports/http.ts';
import { registerFieldWebRoutes, type FieldWebDeps } from './routes/field-web.ts';
import type { PushLimits } from './push-batch.ts';

export interface SyncAppDeps {
  settings: Settings;
  log: Logger;
  db: DbAccess;
  auth: Pick<Authenticator, 'authenticate'>;
  files: FileStore;
  tls?: TlsMaterial;
  /** Guardian for the field web app's enrol/token relay (routes/field-web.ts). */
  guardian?: FieldWebDeps['guardian'];
}

/** Room above the push limit for Fastify's own body limit, so push answers 413 batch_too_large itself. */
const BODY_MARGIN = 64 * 1024;

export function pushLimits(settings: Settings): PushLimits {
  return { maxOps: settings.pushMaxOps, maxBytes: settings.pushMaxBytes, maxPayloadBytes: DEFAULT_LIMITS.maxPayloadBytes };
}

export async function buildSyncApp(deps: SyncAppDeps): Promise<FastifyInstance> {
  const { settings, db } = deps;
  const limits = pushLimits(settings);
  const app = createHttpServer({
    log: deps.log,
    ...(deps.tls ? { tls: deps.tls } : {}),
    bodyLimit: limits.maxBytes + BODY_MARGIN,
    protocolHeader: true,
  });
  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'Nexus sync API',
        version: String(PROTOCOL_VERSION),
        description: 'SYNC_PROTOCOL v1 as implemented; see docs/SYNC_PROTOCOL.md. Errors are RFC 9457 problem details with a stable `code`.',
      },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT (Guardian access token)' } } },
      security: [{ bearer: [] }],
    },
  });
  // Public on purpose: it describes the API and holds no data.
  app.get('/v1/openapi.json', { schema: { hide: true } }, async () => app.swagger());

  // Manual and API imports (an administrator's token, not a device's): the
  // same HTTPS server, outside the device-token scope.
  registerImportRoutes(app, { db, token: settings.importToken, maxBytes: settings.importMaxBytes, tmpDir: path.join(settings.home, 'imports-tmp') });

  // The field web app (PWA) at /field/, same origin as the API.
  registerFieldWebRoutes(app, deps.guardian ? { guardian: deps.guardian } : {});

  const pool = db.pool('nexus_sync');
  await app.register(
    async (v1) => {
      v1.decorateRequest('device', undefined);
      v1.addHook('onRequest', async (req, reply) => {
        try {
          req.device = await deps.auth.authenticate(req);
        } catch (err) {
          // RFC 6750: tell the client which scheme, and whether its token was the problem.
          if (err instanceof NexusError && err.status === 401) {
            reply.header('www-authenticate', err.code === 'unauthorized' ? 'Bearer realm="nexus-sync"' : 'Bearer realm="nexus-sync", error="invalid_token"');
          }
          throw err;
        }
      });
      registerPushRoute(v1, { pool, files: deps.files, limits, concurrency: settings.pushConcurrency });
      registerParametersRoute(v1, pool);
      registerPullRoute(v1, pool);
      registerFileRoutes(v1, { settings, db, files: deps.files });
      registerTus(v1, { settings, db, files: deps.files });
    },
    { prefix: '/v1' },
  );
  return app;
}
