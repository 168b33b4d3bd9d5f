// GET /v1/parameters (SYNC_PROTOCOL §5): the whole set with its version as a
// strong ETag; If-None-Match with the current version answers 304.

import type { FastifyInstance } from 'fastify';
import type pg from 'pg';
import { asServiceError } from '../failures.ts';
import { etagOf, notModified, readParameters } from '../parameters.ts';
import { ParametersResponse, ProtocolHeader, problemResponses } from '../schemas.ts';

export function registerParametersRoute(app: FastifyInstance, pool: pg.Pool): void {
  app.get('/parameters', {
    schema: {
      summary: 'All parameters and their version (SYNC_PROTOCOL §5); ETag = "<version>", If-None-Match → 304',
      tags: ['parameters'],
      security: [{ bearer: [] }],
      headers: ProtocolHeader,
      response: { 200: ParametersResponse, 304: { type: 'null', description: 'not modified' }, ...problemResponses(400, 401, 503) },
    },
  }, async (req, reply) => {
    const current = await readParameters(pool).catch((err: unknown) => Promise.reject(asServiceError(err)));
    reply.header('etag', etagOf(current.version)).header('cache-control', 'private, no-cache');
    const inm = req.headers['if-none-match'];
    if (notModified(Array.isArray(inm) ? inm.join(',') : inm, current.version)) return reply.code(304).send();
    return current;
  });
}
