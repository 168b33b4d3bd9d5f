// Guardian's HTTP API (SYNC_PROTOCOL.md §1). Thin: each route validates,
// calls the domain modules and shapes the answer.

import type { FastifyInstance } from 'fastify';
import rateLimit from '@fastify/rate-limit';
import { NexusError } from '../core/errors.ts';
import { QUIET } from '../core/http.ts';
import type { Settings } from '../core/settings.ts';
import { signDeviceCsr } from '../tls/index.ts';
import { revocationList } from './devices.ts';
import { authenticateDevice, enrolDevice } from './enrol.ts';
import { currentKey, jwks, keysView } from './keys.ts';
import { EnrollBody, TokenBody, typeboxValidator } from './schemas.ts';
import { registryView } from './store.ts';
import { issueToken } from './tokens.ts';

export const GUARDIAN_PREFIX = '/guardian/v1';

export async function guardianRoutes(app: FastifyInstance, settings: Settings): Promise<void> {
  const home = settings.home;
  const registry = registryView(home);
  const keys = keysView(home);

  app.setValidatorCompiler(typeboxValidator);
  await app.register(rateLimit, {
    global: false,
    errorResponseBuilder: (_req, ctx) =>
      new NexusError('rate_limited', `Too many requests from this address; retry in ${ctx.after}.`, {
        status: 429,
        extra: { retry_after_seconds: Math.max(1, Math.ceil(ctx.ttl / 1000)) },
      }),
  });
  // Per source address, per route: a device asks for a token every few minutes at most.
  const limited = { rateLimit: { max: settings.guardianRateLimit, timeWindow: settings.guardianRateWindowSeconds * 1000 } };

  app.post<{ Body: EnrollBody }>(`${GUARDIAN_PREFIX}/enroll`, { schema: { body: EnrollBody }, config: limited }, async (req, reply) => {
    const res = await enrolDevice(home, req.body, { signCsr: (csr, id) => signDeviceCsr(home, csr, id) });
    req.log.info({ device_id: res.device_id, wg_ip: res.wg_ip, certificate: Boolean(res.client_certificate) }, 'device enrolled');
    return reply.code(201).header('cache-control', 'no-store').send(res);
  });

  app.post<{ Body: TokenBody }>(`${GUARDIAN_PREFIX}/token`, { schema: { body: TokenBody }, config: limited }, async (req, reply) => {
    const device = await authenticateDevice(registry.get(), req.body.device_id, req.body.device_secret);
    const key = currentKey(keys.get());
    if (!key) throw new NexusError('no_signing_key', 'Guardian has no signing key; run `nexus guardian rotate-key`.', { status: 503 });
    const token = await issueToken(device, key, { issuer: settings.tokenIssuer, ttlSeconds: settings.tokenTtlSeconds });
    return reply.header('cache-control', 'no-store').send(token);
  });

  app.get(`${GUARDIAN_PREFIX}/jwks.json`, QUIET, async (_req, reply) =>
    // Short cache: verifiers refetch on an unknown kid anyway.
    reply.header('cache-control', 'public, max-age=60').send(jwks(keys.get())),
  );

  app.get(`${GUARDIAN_PREFIX}/revocations`, QUIET, async (_req, reply) =>
    reply.header('cache-control', 'no-store').send(revocationList(registry.get())),
  );

  app.get(`${GUARDIAN_PREFIX}/health`, QUIET, async () => {
    // Reading both files proves the store is there and intact.
    registry.get();
    return { status: 'ok', signing_key: currentKey(keys.get()) ? 'present' : 'missing' };
  });
}
