// robots.txt, fetched once per origin and kept for an hour. A missing file
// (4xx) allows everything; a file that cannot be read (5xx, network) stops
// the crawl for now: not knowing the rules is not permission.

import robotsParserModule from 'robots-parser';
import { NexusError } from '../core/errors.ts';
import { politeGet, USER_AGENT, type FetchOptions } from './fetch.ts';

interface Robot {
  isDisallowed(url: string, ua?: string): boolean | undefined;
  getCrawlDelay(ua?: string): number | undefined;
}
// A CommonJS module whose export is the function itself.
const robotsParser = robotsParserModule as unknown as (url: string, content: string) => Robot;
const TTL_MS = 3_600_000;
const cache = new Map<string, { robot: Robot | null; until: number }>();

async function robotsFor(url: URL, opts: FetchOptions): Promise<Robot | null> {
  const hit = cache.get(url.origin);
  if (hit && hit.until > Date.now()) return hit.robot;
  const robotsUrl = `${url.origin}/robots.txt`;
  let robot: Robot | null;
  try {
    const r = await politeGet(robotsUrl, { ...opts, headers: {}, limits: { ...opts.limits, max_bytes: 512 * 1024 } });
    robot = r.status >= 200 && r.status < 300 ? robotsParser(robotsUrl, r.body.toString('utf8')) : null;
  } catch (err) {
    throw new NexusError('crawl_robots_unavailable', `${robotsUrl} could not be read (${(err as Error).message}); not crawling ${url.origin} until it can`);
  }
  cache.set(url.origin, { robot, until: Date.now() + TTL_MS });
  return robot;
}

/** Throws crawl_robots_disallowed when robots.txt forbids `url`; returns the Crawl-delay, if any. */
export async function checkRobots(url: string, opts: FetchOptions): Promise<number | undefined> {
  const u = new URL(url);
  const robot = await robotsFor(u, opts);
  if (!robot) return undefined;
  if (robot.isDisallowed(url, USER_AGENT)) {
    throw new NexusError('crawl_robots_disallowed', `${url} is disallowed for crawlers by ${u.origin}/robots.txt`);
  }
  return robot.getCrawlDelay(USER_AGENT);
}

/** Forgets cached robots.txt files (tests, and `nexus crawl run` for a fresh look). */
export function clearRobotsCache(): void {
  cache.clear();
}
