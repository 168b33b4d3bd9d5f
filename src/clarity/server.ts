// Clarity's HTTPS app: thin routes over the modules beside it. Every page and
// API call needs a session (cookie); every state-changing request needs the
// session's CSRF token and, when the browser sends one, a same-origin Origin.
// Responses carry a strict Content-Security-Policy (no inline script).

import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import rateLimit from '@fastify/rate-limit';
import { createHttpServer, sendProblem, type TlsMaterial } from '../core/http.ts';
import type { Logger } from '../core/log.ts';
import { NexusError } from '../core/errors.ts';
import type { Engine } from './engine.ts';
import type { JsonStore } from './store.ts';
import { Sessions, cookieHeader, credentialOf, csrfMatches, readCookie, type Session } from './sessions.ts';
import { authenticate, can, type User } from './users.ts';
import { getAsset } from './assets.ts';
import { loginPage } from './pages.ts';
import { registerApi } from './routes-api.ts';
import { registerPages } from './routes-pages.ts';

export interface ClarityApp {
  engine: Engine;
  store: JsonStore;
  sessions: Sessions;
  /** Refreshes the marts (and extra sources); resolves when done. */
  refresh: () => Promise<unknown>;
}

const CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

declare module 'fastify' {
  interface FastifyRequest {
    session?: Session;
  }
}

export function requireRole(req: FastifyRequest, check: (r: Session['role']) => boolean, what: string): Session {
  const s = req.session;
  if (!s) throw new NexusError('clarity_unauthenticated', 'Sign in first.', { status: 401 });
  if (!check(s.role)) throw new NexusError('clarity_forbidden', `Your role (${s.role}) may not ${what}.`, { status: 403 });
  return s;
}

export const isEditor = can.edit;
export const isAdmin = can.admin;

function sameOrigin(req: FastifyRequest): boolean {
  const origin = req.headers.origin;
  if (!origin) return true; // older browsers and non-browser clients; the CSRF token still applies
  try {
    return new URL(origin).host === req.headers.host;
  } catch {
    return false;
  }
}

export async function buildClarityServer(opts: { log: Logger; tls: TlsMaterial; app: ClarityApp }): Promise<FastifyInstance> {
  const { app: ctx } = opts;
  const app = createHttpServer({ log: opts.log, tls: opts.tls, bodyLimit: 2 * 1024 * 1024 });
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_req, body, done) => {
    done(null, Object.fromEntries(new URLSearchParams(body as string)));
  });
  await app.register(rateLimit, {
    global: false,
    errorResponseBuilder: (_req, c) => new NexusError('rate_limited', `Too many sign-in attempts; retry in ${c.after}.`, { status: 429 }),
  });

  app.addHook('onSend', async (_req, reply, payload) => {
    reply.header('content-security-policy', CSP);
    reply.header('x-content-type-options', 'nosniff');
    // same-origin, not no-referrer: with no-referrer browsers send "Origin: null" on form posts.
    reply.header('referrer-policy', 'same-origin');
    reply.header('x-frame-options', 'DENY');
    if (!reply.hasHeader('cache-control')) reply.header('cache-control', 'no-store');
    return payload;
  });

  app.addHook('preHandler', async (req: FastifyRequest, reply: FastifyReply) => {
    const url = req.url.split('?')[0]!;
    if (url.startsWith('/static/') || url === '/login' || url === '/healthz') return;
    req.session = ctx.sessions.get(readCookie(req.headers.cookie));
    if (req.session) {
      // A user removed, given another role or a new password by the CLI takes effect at once.
      const user = ctx.store.read<User>('users').find((u) => u.name === req.session!.user && credentialOf(u.hash) === req.session!.credential);
      if (!user) ctx.sessions.end(req.session.id);
      req.session = user ? Object.assign(req.session, { role: user.role }) : undefined;
    }
    if (!req.session) {
      if (req.method === 'GET' && !url.startsWith('/api/')) return reply.redirect('/login', 303);
      return sendProblem(reply, new NexusError('clarity_unauthenticated', 'Sign in first.', { status: 401 }));
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      const token = req.headers['x-csrf-token'] ?? (req.body as Record<string, unknown> | undefined)?.csrf;
      if (!sameOrigin(req) || !csrfMatches(req.session, token)) {
        return sendProblem(reply, new NexusError('clarity_csrf', 'The request lacks a valid CSRF token; reload the page.', { status: 403 }));
      }
    }
  });

  app.get<{ Params: { name: string }; Querystring: { v?: string } }>('/static/:name', async (req, reply) => {
    const a = getAsset(req.params.name);
    if (!a) throw new NexusError('not_found', 'No such asset.', { status: 404 });
    reply.header('cache-control', req.query.v === a.hash ? 'public, max-age=31536000, immutable' : 'no-cache');
    reply.header('etag', `"${a.hash}"`);
    if (req.headers['if-none-match'] === `"${a.hash}"`) return reply.code(304).send();
    return reply.type(a.type).send(a.body);
  });

  app.get('/login', async (_req, reply) => reply.type('text/html; charset=utf-8').send(loginPage()));
  app.post<{ Body: { user?: string; password?: string } }>('/login', { config: { rateLimit: { max: 20, timeWindow: 60_000 } } }, async (req, reply) => {
    if (!sameOrigin(req)) throw new NexusError('clarity_csrf', 'Cross-site sign-in refused.', { status: 403 });
    const user = await authenticate(ctx.store, String(req.body?.user ?? ''), String(req.body?.password ?? ''));
    if (!user) return reply.code(401).type('text/html; charset=utf-8').send(loginPage('Unknown user or wrong password.'));
    const s = ctx.sessions.create(user.name, user.role, credentialOf(user.hash));
    req.log.info({ user: user.name }, 'clarity sign-in');
    return reply.header('set-cookie', cookieHeader(s.id, 12 * 3600)).redirect('/', 303);
  });
  app.post('/logout', async (req, reply) => {
    ctx.sessions.end(req.session?.id);
    return reply.header('set-cookie', cookieHeader('', 0)).redirect('/login', 303);
  });

  registerPages(app, ctx);
  registerApi(app, ctx);
  return app;
}
