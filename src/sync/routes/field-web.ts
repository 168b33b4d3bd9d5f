// The field web app (src/field-web) at /field/, on the sync API's origin:
// the bundle (built on the first request, kept in memory), and Guardian's
// enrol and token calls relayed under /field/guardian/v1/ so the app talks
// to one origin only (no CORS on the gate). Outside the /v1 token scope: the
// app shell is public (it holds no data), and the relayed calls carry their
// own credentials. Guardian then sees this server's address: its per-address
// rate limit is shared by the web devices (docs/field-app.md).

import type { FastifyInstance, FastifyReply } from 'fastify';
import { Agent, request } from 'undici';
import { NexusError } from '../../core/errors.ts';
import { buildFieldWeb, type FieldWebBundle } from '../../field-web/bundle.ts';

export interface FieldWebDeps {
  /** Guardian's base URL and the CA that signed its certificate; absent → the relay answers 503. */
  guardian?: { url: string; ca: string | Buffer };
}

const CSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' blob: data:; connect-src 'self'; worker-src 'self'; manifest-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";
const RELAYED = new Set(['enroll', 'token']);
const MAX_RELAY_BYTES = 64 * 1024;

export function registerFieldWebRoutes(app: FastifyInstance, deps: FieldWebDeps): void {
  let bundle: Promise<FieldWebBundle> | undefined;
  const assets = (): Promise<FieldWebBundle> => {
    bundle ??= buildFieldWeb().catch((err: unknown) => {
      bundle = undefined; // a later request tries again
      app.log.error({ err }, 'field web app: build failed');
      throw new NexusError('field_app_unavailable', 'The field app could not be built on this server; see its log.', { status: 503 });
    });
    return bundle;
  };
  const agent = deps.guardian ? new Agent({ connect: { ca: deps.guardian.ca }, headersTimeout: 15_000, bodyTimeout: 15_000 }) : undefined;
  app.addHook('onClose', async () => agent?.close());

  app.get('/field', { schema: { hide: true } }, async (_req, reply) => reply.redirect('/field/', 301));

  app.get<{ Params: { file?: string } }>('/field/:file', { schema: { hide: true } }, async (req, reply) => serve(reply, (await assets()), req.params.file ?? '', req.headers['if-none-match']));
  app.get('/field/', { schema: { hide: true } }, async (req, reply) => serve(reply, await assets(), '', req.headers['if-none-match']));

  app.post<{ Params: { call: string } }>('/field/guardian/v1/:call', { schema: { hide: true }, bodyLimit: MAX_RELAY_BYTES }, async (req, reply) => {
    if (!RELAYED.has(req.params.call)) throw new NexusError('not_found', 'Only enroll and token are relayed to Guardian.', { status: 404 });
    if (!deps.guardian || !agent) throw new NexusError('guardian_unavailable', 'This sync server does not know Guardian\u2019s address.', { status: 503 });
    let res;
    try {
      res = await request(`${deps.guardian.url.replace(/\/+$/, '')}/guardian/v1/${req.params.call}`, {
        dispatcher: agent, method: 'POST',
        headers: { 'content-type': 'application/json', 'nexus-protocol': '1', 'x-forwarded-for': req.ip },
        body: JSON.stringify(req.body ?? {}),
      });
    } catch (err) {
      req.log.warn({ err }, 'field web app: Guardian relay failed');
      throw new NexusError('guardian_unavailable', 'Guardian could not be reached; try again in a moment.', { status: 503, cause: err });
    }
    const body = Buffer.from(await res.body.arrayBuffer());
    return reply.code(res.statusCode).header('cache-control', 'no-store').type(String(res.headers['content-type'] ?? 'application/json')).send(body);
  });
}

function serve(reply: FastifyReply, b: FieldWebBundle, file: string, ifNoneMatch: string | undefined): FastifyReply {
  const a = b.assets.get(file);
  if (!a) throw new NexusError('not_found', `No such file in the field app: ${file}`, { status: 404 });
  // Revalidated on every online load (cheap 304s), so a new build is seen at once;
  // offline, the service worker's cache answers instead.
  reply.header('cache-control', 'no-cache').header('etag', a.etag).header('x-content-type-options', 'nosniff').header('content-security-policy', CSP);
  if (ifNoneMatch === a.etag) return reply.code(304).send();
  return reply.type(a.type).send(a.body);
}
