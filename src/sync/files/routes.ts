// SYNC_PROTOCOL §3 over HTTP: check, PUT and GET/HEAD of content-addressed
// files. The sync server calls registerFileRoutes inside its authenticated
// /v1 scope; the logic lives in store.ts, receive.ts and download.ts.

import type { FastifyInstance, FastifyRequest } from 'fastify';
import { NexusError } from '../../core/errors.ts';
import { deviceOf, filesContext, v1Base, type FilesDeps } from './deps.ts';
import { checkContentType, parseLength, tooLarge } from './policy.ts';
import { receiveFile } from './receive.ts';
import { canSeeFile } from './visibility.ts';
import { sendFile } from './download.ts';
import { isSha256 } from './sha.ts';
import { checkSchema, getSchema, putSchema } from './schemas.ts';

function shaParam(req: FastifyRequest): string {
  const sha = (req.params as { sha256?: string }).sha256;
  if (!isSha256(sha)) throw new NexusError('invalid_request', 'The file name must be its sha256: 64 lowercase hex digits.', { status: 400 });
  return sha;
}

function header(req: FastifyRequest, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v.join(',') : v;
}

export function registerFileRoutes(app: FastifyInstance, deps: FilesDeps): void {
  const { store, policy, pool } = filesContext(deps);
  const base = v1Base(app);

  app.post(`${base}/files/check`, { schema: checkSchema }, async (req) => {
    const { sha256 } = req.body as { sha256: string[] };
    return { missing: await store.missing(sha256) };
  });

  app.route({
    method: ['GET', 'HEAD'],
    url: `${base}/files/:sha256`,
    exposeHeadRoute: false,
    schema: getSchema,
    handler: async (req, reply) => {
      const sha = shaParam(req);
      const device = deviceOf(req);
      const file = await store.get(sha);
      // Same answer for "no such file" and "not yours": existence is not revealed.
      if (!file || !(await canSeeFile(pool, sha, device))) {
        throw new NexusError('not_found', `No file ${sha} is visible to this device.`, { status: 404 });
      }
      return sendFile(reply, file, store.pathOf(sha), {
        method: req.method,
        range: header(req, 'range'),
        ifRange: header(req, 'if-range'),
        ifNoneMatch: header(req, 'if-none-match'),
      });
    },
  });

  // PUT reads the raw body itself: a scope whose only content-type parser
  // hands the untouched stream through, whatever the type (the type is
  // judged by policy, with our own error code).
  app.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', (_req, payload, done) => done(null, payload));
    // An answer given before the body was read must close the connection,
    // or Node would read and discard the rest of a possibly huge body.
    scope.addHook('onSend', async (req, reply) => {
      if (!req.raw.complete) reply.header('connection', 'close');
    });
    scope.put(`${base}/files/:sha256`, { schema: putSchema }, async (req, reply) => {
      const sha = shaParam(req);
      const device = deviceOf(req);
      const length = parseLength(req.headers['content-length']);
      if (length === undefined) throw new NexusError('length_required', 'PUT of a file needs a Content-Length header.', { status: 411 });
      if (length > policy.maxBytes) throw tooLarge(policy);
      const contentType = checkContentType(policy, header(req, 'content-type'));
      const r = await receiveFile(store, req.raw, { sha256: sha, contentType, policy, deviceId: device.deviceId });
      return reply.code(r.outcome === 'created' ? 201 : 200).send({ sha256: sha, size: r.sizeBytes, content_type: contentType });
    });
  });
}
