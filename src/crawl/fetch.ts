// One polite HTTP GET: a slot from the host limiter, a timeout, a size limit
// (Content-Length first, then counted while reading), redirects, conditional
// validators, and retries with capped exponential backoff on network errors,
// 408, 429 and 5xx (Retry-After honoured, within the cap).

import { Agent, request, type Dispatcher } from 'undici';
import { NexusError } from '../core/errors.ts';
import type { CrawlSource } from './config.ts';
import { hostLimiter } from './limiter.ts';

// Our own agent, never the global one: on Node 22+ the global dispatcher may be
// the runtime's bundled undici (a newer major), which refuses maxRedirections.
const defaultAgent = new Agent();

export const USER_AGENT = 'NexusCrawler/1.0 (+self-hosted; robots.txt respected)';

export interface FetchOptions {
  limits: CrawlSource['limits'];
  headers?: Record<string, string>;
  dispatcher?: Dispatcher;
  /** Extra spacing between requests to the host (robots.txt Crawl-delay), in seconds. */
  crawlDelay?: number;
}

export interface Fetched {
  url: string;
  status: number;
  headers: Record<string, string>;
  body: Buffer;
  attempts: number;
}

const RETRY_STATUS = new Set([408, 429, 500, 502, 503, 504]);

class Retryable extends Error {
  readonly retryAfterMs: number | undefined;
  constructor(message: string, retryAfterMs?: number) {
    super(message);
    this.retryAfterMs = retryAfterMs;
  }
}

function retryAfter(v: string | undefined): number | undefined {
  if (!v) return undefined;
  if (/^\d+$/.test(v.trim())) return Number(v.trim()) * 1000;
  const at = Date.parse(v);
  return Number.isNaN(at) ? undefined : Math.max(0, at - Date.now());
}

function flatHeaders(h: Record<string, string | string[] | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(h)) if (v !== undefined) out[k.toLowerCase()] = Array.isArray(v) ? v.join(', ') : v;
  return out;
}

/** Drops a response body we will not read (its abort must not surface as an unhandled error). */
function discard(body: Dispatcher.ResponseData['body']): void {
  body.on('error', () => undefined);
  body.destroy();
}

async function readLimited(body: Dispatcher.ResponseData['body'], max: number, url: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let n = 0;
  for await (const chunk of body) {
    n += (chunk as Buffer).length;
    if (n > max) {
      discard(body);
      throw new NexusError('crawl_too_large', `${url}: the response is larger than the source's limit of ${max} bytes`);
    }
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

async function once(url: string, opts: FetchOptions): Promise<Fetched & { attempts: 0 }> {
  const { limits } = opts;
  const release = await hostLimiter.acquire(new URL(url).host, Math.min(limits.rate_per_second, opts.crawlDelay ? 1 / opts.crawlDelay : Infinity), limits.concurrency);
  try {
    const res = await request(url, {
      method: 'GET',
      headers: { 'user-agent': USER_AGENT, ...opts.headers },
      maxRedirections: 5,
      headersTimeout: limits.timeout_ms,
      bodyTimeout: limits.timeout_ms,
      dispatcher: opts.dispatcher ?? defaultAgent,
    });
    const headers = flatHeaders(res.headers);
    if (RETRY_STATUS.has(res.statusCode)) {
      await res.body.dump().catch(() => undefined);
      throw new Retryable(`HTTP ${res.statusCode}`, retryAfter(headers['retry-after']));
    }
    const declared = Number(headers['content-length']);
    if (Number.isFinite(declared) && declared > limits.max_bytes) {
      discard(res.body);
      throw new NexusError('crawl_too_large', `${url}: Content-Length ${declared} is larger than the source's limit of ${limits.max_bytes} bytes`);
    }
    const body = await readLimited(res.body, limits.max_bytes, url);
    return { url, status: res.statusCode, headers, body, attempts: 0 };
  } catch (err) {
    if (err instanceof NexusError || err instanceof Retryable) throw err;
    const code = (err as { code?: string }).code ?? '';
    // Network trouble (resets, refused connections, timeouts) is worth another try.
    throw new Retryable(`${code || 'network error'}: ${(err as Error).message}`);
  } finally {
    release();
  }
}

export async function politeGet(url: string, opts: FetchOptions): Promise<Fetched> {
  const { retries, backoff_ms, backoff_max_ms } = opts.limits;
  for (let attempt = 1; ; attempt++) {
    try {
      const r = await once(url, opts);
      return { ...r, attempts: attempt };
    } catch (err) {
      if (!(err instanceof Retryable)) throw err;
      if (attempt > retries) {
        throw new NexusError('crawl_fetch_failed', `${url}: ${err.message} (gave up after ${attempt} attempt${attempt > 1 ? 's' : ''})`);
      }
      const backoff = Math.min(backoff_max_ms, backoff_ms * 2 ** (attempt - 1));
      const wait = Math.min(backoff_max_ms, Math.max(backoff, err.retryAfterMs ?? 0));
      await new Promise((r) => setTimeout(r, wait));
    }
  }
}
