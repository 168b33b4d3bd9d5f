// HttpClient on fetch (same origin as the app, so no CORS) and
// tus-js-client's browser build for resumable uploads. A network failure or
// a timeout rejects, as the interface says; every HTTP status resolves.

import * as tus from 'tus-js-client';
import { tusOptions, type HttpClient, type HttpResponse, type TusResult } from '../../field/index.ts';

export function fetchHttp(opts: { timeoutMs?: number } = {}): HttpClient {
  const timeout = opts.timeoutMs ?? 30_000;
  return {
    async request(req): Promise<HttpResponse> {
      const res = await fetch(req.url, {
        method: req.method,
        headers: req.headers ?? {},
        ...(req.body !== undefined ? { body: req.body as BodyInit } : {}),
        cache: 'no-store',
        credentials: 'omit',
        signal: AbortSignal.timeout(timeout),
      });
      const headers: Record<string, string> = {};
      res.headers.forEach((v, k) => (headers[k.toLowerCase()] = v));
      return { status: res.status, headers, body: new Uint8Array(await res.arrayBuffer()) };
    },
    tusUpload(u): Promise<TusResult> {
      return new Promise((resolve) => {
        const upload: tus.Upload = new tus.Upload(new Blob([u.bytes as Uint8Array<ArrayBuffer>]), tusOptions(u, () => upload.url, resolve));
        upload.start();
      });
    },
    close: async () => undefined,
  };
}
