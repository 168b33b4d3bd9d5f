// The one place where errors become HTTP responses. Every Nexus HTTP service
// (Guardian, sync, Clarity, health) builds its Fastify instance here, so they
// all answer RFC 9457 problem details with a stable `code`, check the
// Nexus-Protocol header first, and never show internals in a 5xx.

import Fastify, { type ConnectionError, type FastifyError, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { Logger } from './log.ts';
import { NexusError, toNexusError } from './errors.ts';
import { PROTOCOL_HEADER, SUPPORTED_VERSIONS } from '../protocol/index.ts';

export interface TlsMaterial {
  key: string | Buffer;
  cert: string | Buffer;
  /** CA bundle for verifying client certificates. */
  ca?: string | Buffer;
  /** Ask clients for a certificate (verified against `ca`); enforcement is per route. */
  requestCert?: boolean;
}

export interface HttpServerOptions {
  log: Logger;
  tls?: TlsMaterial;
  /** Largest accepted request body in bytes (Fastify's bodyLimit). */
  bodyLimit?: number;
  /** Check the Nexus-Protocol header on every request (device-facing services). */
  protocolHeader?: boolean;
  /** Trust X-Forwarded-For from these proxies (none by default). */
  trustProxy?: boolean | string | string[];
  /** Answer GET /healthz with 200 (default); false for a service that gives the path its own meaning. */
  liveness?: boolean;
}

/**
 * Routes that other services poll every few seconds log only their warnings
 * and errors: an info line per poll would bury everything else.
 */
export const QUIET = { logLevel: 'warn' } as const;

const TITLES: Record<number, string> = {
  400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 405: 'Method Not Allowed',
  408: 'Request Timeout', 409: 'Conflict', 410: 'Gone', 411: 'Length Required', 413: 'Content Too Large', 415: 'Unsupported Media Type',
  416: 'Range Not Satisfiable', 417: 'Expectation Failed', 422: 'Unprocessable Content', 429: 'Too Many Requests', 431: 'Request Header Fields Too Large',
  500: 'Internal Server Error', 503: 'Service Unavailable',
};

/** The RFC 9457 document for an error; an internal error's detail stays in the log. */
function problemDocument(err: NexusError): Record<string, unknown> {
  const hidden = err.status >= 500 && err.code === 'internal_error';
  return {
    type: `https://nexus.invalid/problems/${err.code}`,
    title: TITLES[err.status] ?? 'Error',
    status: err.status,
    detail: hidden ? 'The server could not complete the request; the administrators can find details in its log.' : err.message,
    code: err.code,
    ...err.extra,
  };
}

export function sendProblem(reply: FastifyReply, err: NexusError): FastifyReply {
  return reply.code(err.status).type('application/problem+json').send(problemDocument(err));
}

/** The same document as text, for answers written outside a Fastify reply. */
const problemBody = (err: NexusError): string => JSON.stringify(problemDocument(err));

/**
 * Broken HTTP (bad framing, oversized headers, a timeout) never reaches a
 * route: Node hands the socket to this, and Fastify's default would answer
 * with its own JSON. Same problem details as everywhere else, then close.
 */
function clientError(err: ConnectionError, socket: Socket): void {
  if ((err as NodeJS.ErrnoException).code === 'ECONNRESET' || socket.destroyed) return;
  const code = (err as NodeJS.ErrnoException).code;
  const e =
    code === 'ERR_HTTP_REQUEST_TIMEOUT' ? new NexusError('request_timeout', 'The request did not arrive in time.', { status: 408 })
    : code === 'HPE_HEADER_OVERFLOW' ? new NexusError('request_too_large', 'The request headers are larger than this server accepts.', { status: 431 })
    : new NexusError('invalid_request', 'The request is not valid HTTP/1.1 (framing, headers or method).', { status: 400 });
  const body = problemBody(e);
  // As Node's own handler does: never write onto a socket whose response has
  // begun, or the client reads the tail of one answer as the start of another.
  const inFlight = (socket as Socket & { _httpMessage?: { headersSent?: boolean } })._httpMessage;
  if (socket.writable && !inFlight?.headersSent) {
    socket.write(`HTTP/1.1 ${e.status} ${TITLES[e.status]}\r\nContent-Type: application/problem+json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
  }
  socket.destroy(err);
}

/** Maps Fastify's own errors (validation, body size, content type, JSON syntax) to our codes. */
function fromFastify(err: FastifyError): NexusError | undefined {
  if (err.validation) {
    return new NexusError('invalid_request', `The request does not match the schema: ${err.message}`, { status: 400 });
  }
  switch (err.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new NexusError('request_too_large', 'The request body is larger than this endpoint accepts.', { status: 413 });
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new NexusError('unsupported_content_type', 'The Content-Type of the request is not accepted here.', { status: 415 });
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return new NexusError('invalid_request', 'The request body is not valid JSON.', { status: 400 });
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return new NexusError('invalid_request', 'Content-Length does not match the body.', { status: 400 });
  }
  if (err instanceof SyntaxError || (err.statusCode === 400 && !(err instanceof NexusError))) {
    return new NexusError('invalid_request', 'The request is malformed.', { status: 400 });
  }
  return undefined;
}

export function createHttpServer(opts: HttpServerOptions): FastifyInstance {
  const app = Fastify({
    loggerInstance: opts.log,
    bodyLimit: opts.bodyLimit ?? 1024 * 1024,
    trustProxy: opts.trustProxy ?? false,
    // Deeply nested or huge JSON must not take the process down.
    onProtoPoisoning: 'error',
    onConstructorPoisoning: 'error',
    clientErrorHandler: clientError,
    // A URL that does not decode (`%ff`) or an oversized parameter: problem details, not Fastify's JSON.
    frameworkErrors: (_err: FastifyError, _req: FastifyRequest, reply: FastifyReply) =>
      sendProblem(reply, new NexusError('invalid_request', 'The request URL is malformed.', { status: 400 })),
    ...(opts.tls
      ? {
          https: {
            key: opts.tls.key,
            cert: opts.tls.cert,
            ...(opts.tls.ca ? { ca: opts.tls.ca } : {}),
            requestCert: opts.tls.requestCert ?? false,
            rejectUnauthorized: false, // routes decide; an unverified certificate is treated as none
            minVersion: 'TLSv1.2' as const,
          },
        }
      : {}),
  }) as unknown as FastifyInstance;

  if (opts.protocolHeader) {
    app.addHook('onRequest', async (req, reply) => {
      const raw = req.headers[PROTOCOL_HEADER];
      if (raw === undefined) return;
      const value = Array.isArray(raw) ? raw.join(',') : raw;
      if (!(SUPPORTED_VERSIONS as readonly number[]).includes(Number(value.trim())) || !/^\s*\d+\s*$/.test(value)) {
        return sendProblem(
          reply,
          new NexusError('protocol_unsupported', `Nexus-Protocol ${JSON.stringify(value)} is not supported; this server speaks ${SUPPORTED_VERSIONS.join(', ')}.`, {
            status: 400,
            extra: { supported: [...SUPPORTED_VERSIONS] },
          }),
        );
      }
    });
  }

  // An Expect other than 100-continue never reaches a route: Node would answer a bare 417.
  app.server.on('checkExpectation', (_req: unknown, res: ServerResponse) => {
    const body = problemBody(new NexusError('invalid_request', 'Only "Expect: 100-continue" is supported.', { status: 417 }));
    res.writeHead(417, { 'content-type': 'application/problem+json', 'content-length': Buffer.byteLength(body), connection: 'close' }).end(body);
  });

  app.setErrorHandler((error: FastifyError, req: FastifyRequest, reply: FastifyReply) => {
    const mapped = error instanceof NexusError ? error : (fromFastify(error) ?? toNexusError(error));
    if (mapped.status >= 500) req.log.error({ err: error }, 'request failed');
    return sendProblem(reply, mapped);
  });

  // Liveness for nexus-health and load balancers: the process answers HTTPS.
  if (opts.liveness !== false) app.get('/healthz', { ...QUIET, schema: { hide: true } }, async () => ({ status: 'ok' }));

  app.setNotFoundHandler((req, reply) =>
    sendProblem(reply, new NexusError('not_found', `No route ${req.method} ${req.url.split('?')[0]}.`, { status: 404 })),
  );

  return app;
}
