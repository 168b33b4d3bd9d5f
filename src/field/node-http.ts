// HttpClient for Node: undici v6 with an Agent that trusts only the given CA
// (the platform's internal CA), and tus-js-client's Node build for uploads.

import { Agent, request } from 'undici';
import * as tus from 'tus-js-client';
import { tusOptions, type HttpClient, type HttpResponse, type TusResult } from './http.ts';

export interface NodeHttpOptions {
  /** PEM of the CA that signed the servers' certificates. */
  ca: string | Uint8Array | undefined;
  /** Per request: no response headers / no body bytes for this long → network error. */
  timeoutMs?: number;
}

export function nodeHttp(opts: NodeHttpOptions): HttpClient {
  const ca = opts.ca === undefined ? undefined : typeof opts.ca === 'string' ? opts.ca : Buffer.from(opts.ca).toString('utf8');
  const timeout = opts.timeoutMs ?? 30_000;
  const agent = new Agent({ connect: { ...(ca ? { ca } : {}), timeout }, headersTimeout: timeout, bodyTimeout: timeout, keepAliveTimeout: 4_000 });
  return {
    async request(req): Promise<HttpResponse> {
      const res = await request(req.url, {
        dispatcher: agent,
        method: req.method as 'GET',
        headers: req.headers ?? {},
        ...(req.body !== undefined ? { body: typeof req.body === 'string' ? req.body : Buffer.from(req.body.buffer, req.body.byteOffset, req.body.byteLength) } : {}),
      });
      const body = new Uint8Array(await res.body.arrayBuffer());
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(res.headers)) if (v !== undefined) headers[k.toLowerCase()] = Array.isArray(v) ? v.join(', ') : v;
      return { status: res.statusCode, headers, body };
    },

    tusUpload(u): Promise<TusResult> {
      return new Promise((resolve) => {
        // tus-js-client's Node stack has no stall timeout: a watchdog aborts an
        // upload that made no progress for `timeout` ms (the engine resumes it).
        let watchdog: NodeJS.Timeout | undefined;
        let settled = false;
        const finish = (r: TusResult) => {
          if (settled) return;
          settled = true;
          clearTimeout(watchdog);
          resolve(r);
        };
        const arm = () => {
          clearTimeout(watchdog);
          watchdog = setTimeout(() => {
            void upload.abort(false).catch(() => undefined);
            finish({ ok: false, status: 0, body: 'upload stalled' });
          }, timeout);
        };
        const file = Buffer.from(u.bytes.buffer, u.bytes.byteOffset, u.bytes.byteLength);
        const base = tusOptions(u, () => upload.url, finish);
        const upload = new tus.Upload(file, {
          ...base,
          removeFingerprintOnSuccess: true,
          httpStack: new tus.DefaultHttpStack({ ...(ca ? { ca } : {}), timeout }),
          onProgress: () => arm(),
          onBeforeRequest: (req) => {
            arm();
            base.onBeforeRequest(req);
          },
        });
        arm();
        upload.start();
      });
    },

    close: () => agent.close(),
  };
}
