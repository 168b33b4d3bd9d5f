// The import door over HTTPS: POST /v1/imports with the file as the raw
// request body, the same options as the CLI in the query string. Every
// request carries `Authorization: Bearer <NEXUS_IMPORT_TOKEN>`. The body is
// streamed to a temporary file (the size limit counted on the way), then
// imported exactly like `nexus import`. Registered as an encapsulated
// plugin: its catch-all body parser does not leak into the host server.

import { createHash, randomUUID, timingSafeEqual } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { DbAccess } from '../db/connection.ts';
import { NexusError } from '../core/errors.ts';
import { importFile } from './importer.ts';

export interface ImportRouteDeps {
  db: DbAccess;
  /** NEXUS_IMPORT_TOKEN; undefined refuses every request. */
  token: string | undefined;
  /** NEXUS_IMPORT_MAX_BYTES. */
  maxBytes: number;
  /** Where uploads wait while imported (default: the OS temp folder). */
  tmpDir?: string;
  prefix?: string;
}

const digest = (s: string) => createHash('sha256').update(s).digest();

function authorize(req: FastifyRequest, token: string | undefined): void {
  if (!token) throw new NexusError('import_endpoint_disabled', 'The import endpoint is off: set NEXUS_IMPORT_TOKEN to turn it on.', { status: 503 });
  const m = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '');
  // Compare digests: constant time, whatever the lengths.
  if (!m || !timingSafeEqual(digest(m[1]!), digest(token))) {
    throw new NexusError('unauthorized', 'This endpoint needs `Authorization: Bearer <import token>`.', { status: 401 });
  }
}

interface Query {
  source?: string;
  format?: string;
  sheet?: string;
  force?: string;
  file_name?: string;
  entity_type?: string;
  key?: string;
  time_field?: string;
  description?: string;
}

function limitBytes(max: number): Transform {
  let n = 0;
  return new Transform({
    transform(chunk: Buffer, _e, cb) {
      n += chunk.length;
      if (n > max) cb(new NexusError('request_too_large', `The file is larger than this server accepts (${max} bytes).`, { status: 413 }));
      else cb(null, chunk);
    },
  });
}

export function registerImportRoutes(app: FastifyInstance, deps: ImportRouteDeps): void {
  app.register(async (scope) => {
    scope.addHook('onRequest', async (req) => authorize(req, deps.token));
    // Any content type: the body is the file, streamed as it arrives.
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', (_req, payload, done) => done(null, payload));

    scope.post('/v1/imports', async (req, reply) => {
      const q = req.query as Query;
      if (!q.source) throw new NexusError('invalid_request', 'The query needs ?source=<name>.', { status: 400 });
      const fileName = path.basename(q.file_name ?? `upload.${q.format ?? 'bin'}`);
      const body = req.body as Readable | undefined;
      if (!body || typeof (body as Readable).pipe !== 'function') throw new NexusError('invalid_request', 'The request has no body: send the file as the request body.', { status: 400 });
      const dir = deps.tmpDir ?? path.join(os.tmpdir(), 'nexus-imports');
      await mkdir(dir, { recursive: true, mode: 0o700 });
      const tmp = path.join(dir, `${randomUUID()}${path.extname(fileName)}`);
      try {
        await pipeline(body, limitBytes(deps.maxBytes), createWriteStream(tmp, { mode: 0o600 }));
        const summary = await importFile(deps.db, {
          file: tmp, fileName, source: q.source, via: 'http', force: q.force === 'true' || q.force === '1',
          ...(q.format ? { format: q.format } : {}),
          ...(q.sheet ? { sheet: q.sheet } : {}),
          ...(q.entity_type ? { entityType: q.entity_type } : {}),
          ...(q.key ? { keyField: q.key } : {}),
          ...(q.time_field ? { timeField: q.time_field } : {}),
          ...(q.description ? { description: q.description } : {}),
        });
        return reply.code(201).send({ ...summary, ms: Math.round(summary.ms), rejects: summary.rejects.slice(0, 100) });
      } finally {
        await rm(tmp, { force: true });
      }
    });
  }, { prefix: deps.prefix ?? '' });
}
