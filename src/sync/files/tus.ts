// tus 1.0.0 resumable uploads at /v1/uploads (core, creation,
// creation-with-upload, termination, checksum, expiration), served by @tus/server inside
// Fastify: our routes authenticate, check what we can answer with problem
// details (ids, ownership, creation metadata, checksum headers), then hand
// the raw request and response to the tus server. Uploads in progress live
// under <files dir>/tmp/tus; finished ones are hashed and filed (tus-finish.ts).

import type { IncomingMessage } from 'node:http';
import path from 'node:path';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Server, type Upload } from '@tus/server';
import { NexusError } from '../../core/errors.ts';
import { deviceOf, filesContext, v1Base, type FilesDeps } from './deps.ts';
import type { DeviceRef } from './visibility.ts';
import { NexusTusStore } from './tus-store.ts';
import { META, UploadFiler } from './tus-finish.ts';
import { checkCreation, checkMetadata } from './tus-rules.ts';
import { CHECKSUM_ALGORITHMS, parseUploadChecksum } from './checksum.ts';
import { PROBLEM_TYPE, problemJson } from './problem.ts';
import { tusSchema } from './schemas.ts';

/** Upload ids are @tus/server's default names: 16 random bytes in hex. */
const UPLOAD_ID = /^[0-9a-f]{32}$/;

type TusRequest = Parameters<NonNullable<ConstructorParameters<typeof Server>[0]['onUploadCreate']>>[0];

/** tus hooks answer by throwing `{status_code, body}`. */
function tusError(err: unknown): { status_code: number; body: string } {
  if (err instanceof NexusError) return { status_code: err.status, body: `${err.message}\n` };
  throw err;
}

type FinishAnswer = { status_code?: number; headers?: Record<string, string>; body?: string };

function nodeReq(req: TusRequest): IncomingMessage | undefined {
  return (req as unknown as { runtime?: { node?: { req?: IncomingMessage } } }).runtime?.node?.req;
}

function notFound(): NexusError {
  return new NexusError('not_found', 'No such upload.', { status: 404 });
}

export function registerTus(app: FastifyInstance, deps: FilesDeps): void {
  const { store, policy } = filesContext(deps);
  const base = v1Base(app);
  const expiryMs = deps.settings.uploadExpiryHours * 3600_000;
  const tusStore = new NexusTusStore(path.join(store.tmpDir, 'tus'), store, expiryMs);
  const filer = new UploadFiler(store, tusStore);
  // The authenticated device of each request, for the tus hooks, which only see the raw request.
  const devices = new WeakMap<IncomingMessage, DeviceRef>();

  const server = new Server({
    path: `${app.prefix}${base}/uploads`,
    datastore: tusStore,
    maxSize: policy.maxBytes,
    // Absolute https URL from the request itself (the library would say http).
    generateUrl: (req, { path: p, id }) => new URL(`${p}/${id}`, req.url).href,
    getFileIdFromRequest: (_req, last) => (last && UPLOAD_ID.test(last) ? last : undefined),
    onIncomingRequest: async (req, id) => {
      if (req.method === 'PATCH' || req.method === 'POST') {
        const offset = req.method === 'POST' ? 0 : Number(req.headers.get('upload-offset'));
        try {
          tusStore.expect(id, offset, parseUploadChecksum(req.headers.get('upload-checksum')));
        } catch (err) {
          throw tusError(err);
        }
      } else if (req.method === 'HEAD') {
        // A finished upload whose filing was cut short (crash, lost
        // connection) is filed now, before the client is told it is complete.
        const up = await tusStore.getUpload(id).catch(() => undefined);
        if (up && up.size !== undefined && up.offset === up.size) await filer.file(up);
      }
    },
    onUploadCreate: async (req, upload: Upload) => {
      const raw = nodeReq(req);
      const device = raw && devices.get(raw);
      if (!device) throw { status_code: 401, body: 'A bearer token is required.\n' };
      try {
        checkMetadata(upload.metadata, policy);
      } catch (err) {
        throw tusError(err);
      }
      return { metadata: { ...upload.metadata, [META.deviceId]: device.deviceId } };
    },
    // tus would append an unexpected error's message to its 500 body; ours never show internals.
    onResponseError: (_req, err) => {
      if (err instanceof Error) {
        app.log.error({ err }, 'tus request failed');
        return { status_code: 500, body: 'The server could not complete the request; the administrators can find details in its log.\n' };
      }
      return undefined;
    },
    onUploadFinish: async (_req, upload: Upload): Promise<FinishAnswer> => {
      const outcome = await filer.file(upload);
      app.log.info({ upload: upload.id, sha256: upload.metadata?.[META.sha256], outcome }, 'tus upload finished');
      if (outcome === 'mismatch') {
        const err = new NexusError('file_hash_mismatch', `The uploaded bytes do not hash to ${upload.metadata?.[META.sha256] ?? '(none)'}; the upload was discarded.`, {
          status: 422,
        });
        return { status_code: 422, headers: { 'Content-Type': PROBLEM_TYPE }, body: problemJson(err, 'Unprocessable Content') };
      }
      return { headers: { 'Nexus-File-Status': outcome } };
    },
  });

  const handler = async (req: FastifyRequest, reply: FastifyReply): Promise<void> => {
    const device = deviceOf(req);
    const id = (req.params as { id?: string }).id;
    if (id !== undefined) {
      if (!UPLOAD_ID.test(id)) throw notFound();
      // Another device's upload does not exist, as far as this one can tell.
      const rec = await tusStore.record(id);
      if (rec && rec.metadata?.[META.deviceId] !== device.deviceId) throw notFound();
    }
    const header = (name: string): string | undefined => {
      const v = req.headers[name];
      return Array.isArray(v) ? v.join(',') : v;
    };
    if (req.method === 'POST') checkCreation(header, policy);
    if (req.method === 'PATCH' || req.method === 'POST') parseUploadChecksum(header('upload-checksum'));
    devices.set(req.raw, device);
    reply.hijack();
    if (req.method === 'OPTIONS') reply.raw.setHeader('Tus-Checksum-Algorithm', CHECKSUM_ALGORITHMS.join(','));
    try {
      await server.handle(req.raw, reply.raw);
    } catch (err) {
      req.log.error({ err }, 'tus request failed');
      if (!reply.raw.headersSent) reply.raw.writeHead(500, { 'content-type': 'text/plain' }).end('Internal error\n');
      else reply.raw.destroy();
    } finally {
      if (req.method === 'PATCH' && id) tusStore.forget(id, Number(header('upload-offset')));
    }
  };

  // Expired uploads go at start and then every hour (or sooner for short expiries).
  const sweep = (): void => {
    server.cleanUpExpiredUploads().then(
      (n) => n > 0 && app.log.info({ removed: n }, 'expired tus uploads removed'),
      // No upload folder yet means nothing to remove.
      (err: unknown) => (err as { code?: string }).code !== 'ENOENT' && app.log.warn({ err }, 'could not remove expired tus uploads'),
    );
  };
  const timer = setInterval(sweep, Math.min(expiryMs, 3600_000));
  timer.unref();
  app.addHook('onReady', async () => sweep());
  app.addHook('onClose', async () => clearInterval(timer));

  app.register(async (scope) => {
    // The tus server reads bodies itself: hand every body through untouched.
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', (_req, payload, done) => done(null, payload));
    // Our own answers (problem details) are tus responses too.
    scope.addHook('onSend', async (req, reply) => {
      reply.header('tus-resumable', '1.0.0');
      if (!req.raw.complete) reply.header('connection', 'close');
    });
    scope.route({ method: ['POST', 'OPTIONS'], url: `${base}/uploads`, schema: tusSchema, handler });
    scope.route({ method: ['HEAD', 'PATCH', 'DELETE', 'OPTIONS'], url: `${base}/uploads/:id`, schema: tusSchema, handler });
  });
}
