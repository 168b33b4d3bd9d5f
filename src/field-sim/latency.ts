// Push→pull latency between devices, measured at the HTTP boundary: an
// HttpClient wrapper notes when the server acknowledged each op (the push
// answer carries its `version`) and, when another device's pull brings that
// version, how long after the acknowledgement that was. One sample per
// (op, receiving device). The library is unchanged; only the fleet's
// requests pass through here.
//
// Samples go into 10 ms buckets (up to an hour), not an array: a full-scale
// run yields over a million, and the client's memory is measured too.

import { bodyJson, type HttpClient, type HttpResponse } from '../field/http.ts';

const BUCKET_MS = 10;
const BUCKETS = 360_000;

export interface LatencySummary {
  samples: number;
  p50Ms: number | null;
  p95Ms: number | null;
  p99Ms: number | null;
  maxMs: number | null;
}

export class LatencyProbe {
  private readonly ackedAt = new Map<number, number>();
  private readonly hist = new Uint32Array(BUCKETS);
  private count = 0;
  private max = 0;

  wrap(inner: HttpClient): HttpClient {
    return {
      request: async (req) => {
        const res = await inner.request(req);
        if (res.status === 200 && req.url.includes('/v1/sync/')) this.observe(req.url, res);
        return res;
      },
      tusUpload: (u) => inner.tusUpload(u),
      close: () => inner.close(),
    };
  }

  private observe(url: string, res: HttpResponse): void {
    const now = Date.now();
    if (url.includes('/v1/sync/push')) {
      const body = bodyJson<{ results?: Array<{ status: string; version?: number }> }>(res);
      for (const r of body?.results ?? []) {
        if (r.status === 'applied' && typeof r.version === 'number' && !this.ackedAt.has(r.version)) this.ackedAt.set(r.version, now);
      }
    } else if (url.includes('/v1/sync/pull')) {
      const body = bodyJson<{ changes?: Array<{ version: number }> }>(res);
      for (const c of body?.changes ?? []) {
        const at = this.ackedAt.get(c.version);
        if (at !== undefined) this.add(now - at);
      }
    }
  }

  private add(ms: number): void {
    this.hist[Math.min(BUCKETS - 1, Math.floor(Math.max(0, ms) / BUCKET_MS))]!++;
    this.count++;
    this.max = Math.max(this.max, ms);
  }

  private quantile(q: number): number | null {
    if (!this.count) return null;
    const want = Math.ceil(q * this.count);
    let seen = 0;
    for (let i = 0; i < BUCKETS; i++) {
      seen += this.hist[i]!;
      if (seen >= want) return (i + 1) * BUCKET_MS; // the bucket's upper edge: never flattering
    }
    return this.max;
  }

  summary(): LatencySummary {
    return { samples: this.count, p50Ms: this.quantile(0.5), p95Ms: this.quantile(0.95), p99Ms: this.quantile(0.99), maxMs: this.count ? this.max : null };
  }
}
