// One crawl of one source: every page, politely (robots.txt, host limits,
// conditional requests, retries), each new body stored raw in staging, the
// run recorded, and an ETL run requested when something new arrived.

import { readFileSync } from 'node:fs';
import { Agent, type Dispatcher } from 'undici';
import type { DbAccess } from '../db/connection.ts';
import type { Logger } from '../core/log.ts';
import { NexusError, toNexusError } from '../core/errors.ts';
import { secretFromEnv } from '../core/settings.ts';
import type { CrawlSource } from './config.ts';
import { politeGet, type FetchOptions } from './fetch.ts';
import { checkRobots } from './robots.ts';
import { parseBody } from './parse.ts';
import { firstUrl, nextUrl } from './paginate.ts';
import { declareSource, loadState, recordRun, saveState, storeFetch, storedBody, type RunRecord } from './store.ts';

export interface CrawlResult extends RunRecord {
  ms: number;
}

function requestHeaders(s: CrawlSource): Record<string, string> {
  const headers: Record<string, string> = { ...s.headers };
  if (s.auth) {
    const name = s.auth.header ?? 'Authorization';
    const prefix = s.auth.prefix ?? (name.toLowerCase() === 'authorization' ? 'Bearer ' : '');
    headers[name] = prefix + secretFromEnv(s.auth.env);
  }
  return headers;
}

function dispatcherFor(s: CrawlSource): Dispatcher | undefined {
  if (!s.ca_file) return undefined;
  let ca: Buffer;
  try {
    ca = readFileSync(s.ca_file);
  } catch (err) {
    throw new NexusError('crawl_source_invalid', `${s.file}: ca_file ${s.ca_file} cannot be read: ${(err as Error).message}`);
  }
  return new Agent({ connect: { ca } });
}

export async function crawlSource(db: DbAccess, s: CrawlSource, opts: { log?: Logger; worker?: string } = {}): Promise<CrawlResult> {
  const pool = db.pool('nexus_crawl', 4);
  const t0 = performance.now();
  const run: RunRecord = { source: s.name, startedAt: new Date(), status: 'ok', pages: 0, stored: 0, duplicates: 0, unchanged: 0, bytes: 0, ...(opts.worker ? { worker: opts.worker } : {}) };
  let dispatcher: Dispatcher | undefined;
  try {
    await declareSource(pool, s);
    dispatcher = dispatcherFor(s);
    const base: FetchOptions = { limits: s.limits, headers: requestHeaders(s), ...(dispatcher ? { dispatcher } : {}) };
    const seen = new Set<string>();
    const maxPages = s.pagination?.max_pages ?? 1000;
    for (let url: string | undefined = firstUrl(s); url && run.pages < maxPages && !seen.has(url); ) {
      seen.add(url);
      const crawlDelay = await checkRobots(url, base);
      const state = await loadState(pool, s.name, url);
      const conditional: Record<string, string> = {};
      if (state?.last_sha256 && state.etag) conditional['if-none-match'] = state.etag;
      if (state?.last_sha256 && state.last_modified) conditional['if-modified-since'] = state.last_modified;
      const fetchedAt = new Date();
      const r = await politeGet(url, { ...base, headers: { ...base.headers, ...conditional }, ...(crawlDelay ? { crawlDelay } : {}) });
      run.pages++;
      let raw: unknown;
      let headers = r.headers;
      if (r.status === 304 && state?.last_sha256) {
        run.unchanged++;
        await saveState(pool, s.name, url, 304, r.headers, null);
        const prev = await storedBody(pool, s.name, state.last_sha256);
        raw = prev?.raw;
        headers = { ...prev?.headers, ...r.headers };
      } else if (r.status >= 200 && r.status < 300) {
        run.bytes += r.body.length;
        const parsed = await parseBody(s, r.body);
        if (parsed.error) opts.log?.warn({ source: s.name, url, error: parsed.error }, 'crawled body does not parse; stored raw for the ETL to quarantine');
        const stored = await storeFetch(pool, s.name, { url, status: r.status, headers: r.headers, body: r.body, fetchedAt, raw: parsed.raw });
        if (stored.ingestId === null) run.duplicates++;
        else run.stored++;
        await saveState(pool, s.name, url, r.status, r.headers, stored.sha256);
        raw = parsed.raw;
      } else {
        throw new NexusError('crawl_http_status', `${url} answered HTTP ${r.status}`, { extra: { http_status: r.status } });
      }
      url = nextUrl(s, url, raw, headers);
    }
  } catch (err) {
    const e = toNexusError(err);
    run.status = 'failed';
    run.errorCode = e.code;
    run.error = e.code === 'internal_error' ? String((err as Error).message ?? err) : e.message;
    opts.log?.error({ source: s.name, code: e.code, err: run.error }, 'crawl failed');
  } finally {
    await dispatcher?.close().catch(() => undefined);
  }
  await recordRun(pool, run);
  if (run.stored > 0) await pool.query('SELECT nexus.request_etl()');
  return { ...run, ms: performance.now() - t0 };
}
