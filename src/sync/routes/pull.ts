// GET /v1/sync/pull (SYNC_PROTOCOL §4): other devices' changes, exact paging
// by an opaque cursor. Every request is logged for fact_sync_log.

import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import type pg from 'pg';
import { Type } from '@sinclair/typebox';
import { DEFAULT_LIMITS } from '../../protocol/index.ts';
import { NexusError } from '../../core/errors.ts';
import { asServiceError } from '../failures.ts';
import { pull } from '../pull.ts';
import { recordSyncRequest } from '../request-log.ts';
import { ProtocolHeader, PullResponse, problemResponses } from '../schemas.ts';

const Query = Type.Object({
  cursor: Type.Optional(Type.String({ maxLength: 512, description: 'opaque; omit for the current state' })),
  limit: Type.Optional(Type.String({ pattern: '^[0-9]{1,6}$', description: `default ${DEFAULT_LIMITS.pullLimitDefault}, at most ${DEFAULT_LIMITS.pullLimitMax}` })),
});

function parseLimit(raw: string | undefined): number {
  if (raw === undefined) return DEFAULT_LIMITS.pullLimitDefault;
  const n = Number(raw);
  if (n < 1 || n > DEFAULT_LIMITS.pullLimitMax) {
    throw new NexusError('invalid_request', `limit must be a whole number from 1 to ${DEFAULT_LIMITS.pullLimitMax}.`, { status: 400 });
  }
  return n;
}

export function registerPullRoute(app: FastifyInstance, pool: pg.Pool): void {
  app.get<{ Querystring: { cursor?: string; limit?: string } }>('/sync/pull', {
    schema: {
      summary: 'Changes from other devices after a cursor (SYNC_PROTOCOL §4)',
      tags: ['sync'],
      security: [{ bearer: [] }],
      headers: ProtocolHeader,
      querystring: Query,
      response: { 200: PullResponse, ...problemResponses(400, 401, 410, 503) },
    },
  }, async (req, reply) => {
    const device = req.device!;
    const started = new Date();
    const requestId = randomUUID();
    reply.header('nexus-request-id', requestId).header('cache-control', 'no-store');
    const log = (httpStatus: number, changeCount: number, errorCode?: string) =>
      recordSyncRequest(pool, {
        requestId, direction: 'pull', deviceId: device.deviceId, requestedAt: started, httpStatus,
        changeCount, durationMs: Date.now() - started.getTime(), ...(errorCode ? { errorCode } : {}),
      }).catch((err: unknown) => req.log.warn({ err }, 'could not log the pull'));
    try {
      // An empty cursor parameter means none, as if it had been omitted.
      const cursor = req.query.cursor === '' ? undefined : req.query.cursor;
      const res = await pull(pool, device, cursor, parseLimit(req.query.limit));
      await log(200, res.changes.length);
      return res;
    } catch (err) {
      const e = err instanceof NexusError ? err : asServiceError(err);
      await log(e.status, 0, e.code);
      throw e;
    }
  });
}
