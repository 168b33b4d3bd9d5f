// POST /v1/sync/push: HTTP around push.ts. The byte limit is enforced while
// the body streams in (413 batch_too_large with both limits, before any
// parsing); failed requests of a known device are logged on their way out.

import { Transform } from 'node:stream';
import { randomUUID } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { NexusError } from '../../core/errors.ts';
import { push, type PushDeps } from '../push.ts';
import { batchTooLarge } from '../push-batch.ts';
import { recordSyncRequest } from '../request-log.ts';
import { PushBody, PushResponse, ProtocolHeader, problemResponses } from '../schemas.ts';
import { Limiter } from '../limiter.ts';

interface PushTrace {
  requestId: string;
  receivedAt: Date;
  bytes: number;
  logged: boolean;
}

const traces = new WeakMap<FastifyRequest, PushTrace>();
const releases = new WeakMap<FastifyRequest, () => void>();

function traceOf(req: FastifyRequest): PushTrace {
  let t = traces.get(req);
  if (!t) {
    t = { requestId: randomUUID(), receivedAt: new Date(), bytes: 0, logged: false };
    traces.set(req, t);
  }
  return t;
}

export function registerPushRoute(app: FastifyInstance, deps: PushDeps & { concurrency: number }): void {
  const { limits } = deps;
  const limiter = new Limiter(deps.concurrency);
  const release = (req: FastifyRequest) => releases.get(req)?.();
  app.post('/sync/push', {
    // Runs after the token check, before the body is read.
    onRequest: async (req) => {
      releases.set(req, await limiter.acquire());
    },
    onResponse: async (req) => release(req),
    onRequestAbort: async (req) => release(req),
    bodyLimit: limits.maxBytes + 1, // ours below answers first, with the protocol's code
    // The body is judged by push-batch.ts and op-validate.ts (see schemas.ts).
    validatorCompiler: () => () => true,
    schema: {
      summary: 'Push ops from the device\u2019s outbound queue (SYNC_PROTOCOL §2)',
      tags: ['sync'],
      security: [{ bearer: [] }],
      headers: ProtocolHeader,
      body: PushBody,
      response: { 200: PushResponse, ...problemResponses(400, 401, 409, 413, 415, 503) },
    },
    preParsing: async (req, _reply, payload) => {
      const trace = traceOf(req);
      const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
      if (type !== 'application/json') {
        throw new NexusError('unsupported_content_type', 'A push body is JSON: send Content-Type: application/json.', { status: 415 });
      }
      const declared = Number(req.headers['content-length']);
      if (Number.isFinite(declared) && declared > limits.maxBytes) {
        trace.bytes = declared;
        throw batchTooLarge(limits, `A push body may be at most ${limits.maxBytes} bytes; this one declares ${declared}.`);
      }
      return payload.pipe(
        new Transform({
          transform(chunk: Buffer, _enc, cb) {
            trace.bytes += chunk.length;
            if (trace.bytes > limits.maxBytes) cb(batchTooLarge(limits, `A push body may be at most ${limits.maxBytes} bytes.`));
            else cb(null, chunk);
          },
        }),
      ) as unknown as typeof payload;
    },
    onSend: async (req, reply, body) => {
      const trace = traceOf(req);
      reply.header('nexus-request-id', trace.requestId);
      if (!req.device || trace.logged || reply.statusCode < 400) return body;
      trace.logged = true;
      let code: string | null = null;
      try {
        code = typeof body === 'string' ? ((JSON.parse(body) as { code?: string }).code ?? null) : null;
      } catch {
        // not a problem document
      }
      await recordSyncRequest(deps.pool, {
        requestId: trace.requestId, direction: 'push', deviceId: req.device.deviceId, requestedAt: trace.receivedAt,
        httpStatus: reply.statusCode, errorCode: code, requestBytes: trace.bytes || null, durationMs: reply.elapsedTime,
      }).catch((err: unknown) => req.log.error({ err }, 'could not log a failed push in nexus.sync_requests'));
      return body;
    },
  }, async (req) => {
    const trace = traceOf(req);
    const response = await push(deps, req.device!, {
      requestId: trace.requestId,
      receivedAt: trace.receivedAt,
      requestBytes: trace.bytes || null,
      elapsedMs: () => Date.now() - trace.receivedAt.getTime(),
    }, req.body);
    trace.logged = true;
    return response;
  });
}
