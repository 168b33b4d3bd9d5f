// The external world for crawl tests: a local HTTP or HTTPS server on
// 127.0.0.1 whose routes the test writes, and a log of every request.

import http from 'node:http';
import https from 'node:https';
import { after } from 'node:test';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { ensureTls, loadServerTls, caCertPath } from '../../src/tls/index.ts';
import { parseSource, type CrawlSource } from '../../src/crawl/config.ts';
import { clearRobotsCache } from '../../src/crawl/robots.ts';

export type Handler = (req: http.IncomingMessage, res: http.ServerResponse, url: URL) => unknown;

export interface Hit {
  at: number;
  path: string;
  headers: http.IncomingHttpHeaders;
}

export interface World {
  base: string;
  host: string;
  hits: Hit[];
  routes: Map<string, Handler>;
  /** Path of the CA that signed an HTTPS world's certificate. */
  ca?: string;
  hitsOf(p: string): Hit[];
}

export async function startWorld(opts: { https?: boolean } = {}): Promise<World> {
  const routes = new Map<string, Handler>();
  const hits: Hit[] = [];
  const handler = async (req: http.IncomingMessage, res: http.ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://x');
    hits.push({ at: Date.now(), path: url.pathname + url.search, headers: req.headers });
    const h = routes.get(url.pathname);
    if (!h) {
      res.writeHead(404).end('not found');
      return;
    }
    await h(req, res, url);
  };
  let server: http.Server;
  let ca: string | undefined;
  let home: string | undefined;
  if (opts.https) {
    home = mkdtempSync(path.join(os.tmpdir(), 'nexus-crawl-tls-'));
    await ensureTls(home);
    const tls = loadServerTls(home);
    server = https.createServer({ key: tls.key, cert: tls.cert }, (req, res) => void handler(req, res));
    ca = caCertPath(home);
  } else {
    server = http.createServer((req, res) => void handler(req, res));
  }
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  after(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
    if (home) rmSync(home, { recursive: true, force: true });
  });
  const base = `${opts.https ? 'https' : 'http'}://127.0.0.1:${port}`;
  return { base, host: `127.0.0.1:${port}`, hits, routes, ...(ca ? { ca } : {}), hitsOf: (p) => hits.filter((h) => h.path.split('?')[0] === p) };
}

/** A source as its YAML file would declare it (fast retries for tests unless given). */
export function source(name: string, decl: Record<string, unknown>): CrawlSource {
  clearRobotsCache();
  const limits = { rate_per_second: 1000, concurrency: 4, retries: 2, backoff_ms: 20, backoff_max_ms: 200, timeout_ms: 5000, ...(decl.limits as object) };
  return parseSource(`${name}.json`, JSON.stringify({ name, ...decl, limits }));
}

export const json = (res: http.ServerResponse, body: unknown, headers: Record<string, string> = {}) =>
  res.writeHead(200, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(body));
