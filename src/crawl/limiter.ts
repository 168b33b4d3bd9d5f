// Politeness per host, shared by every source a process crawls: at most
// `concurrency` requests in flight to one host, and request starts spaced by
// 1/rate seconds (or robots.txt's Crawl-delay, when longer).

interface HostState {
  nextStart: number;
  active: number;
  waiting: Array<() => void>;
}

export class HostLimiter {
  private readonly hosts = new Map<string, HostState>();

  private state(host: string): HostState {
    let h = this.hosts.get(host);
    if (!h) this.hosts.set(host, (h = { nextStart: 0, active: 0, waiting: [] }));
    return h;
  }

  /** Waits for a slot on `host`; call the returned function when the request is done. */
  async acquire(host: string, ratePerSecond: number, concurrency: number): Promise<() => void> {
    const h = this.state(host);
    while (h.active >= concurrency) await new Promise<void>((r) => h.waiting.push(r));
    h.active++;
    const now = Date.now();
    const start = Math.max(now, h.nextStart);
    h.nextStart = start + 1000 / ratePerSecond;
    if (start > now) await new Promise((r) => setTimeout(r, start - now));
    let released = false;
    return () => {
      if (released) return;
      released = true;
      h.active--;
      h.waiting.shift()?.();
    };
  }
}

/** The process's limiter: sources crawled at the same time share their hosts' limits. */
export const hostLimiter = new HostLimiter();
