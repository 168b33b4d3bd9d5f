// The next page of a JSON API: by page number (until a page has no records),
// by a cursor found in the body, or by the Link header's rel="next".

import type { CrawlSource } from './config.ts';
import { atPath } from './parse.ts';

export function firstUrl(s: CrawlSource): string {
  const p = s.pagination;
  const u = new URL(s.url);
  if (p?.style === 'page') {
    u.searchParams.set(p.param ?? 'page', String(p.start ?? 1));
    if (p.size_param && p.size) u.searchParams.set(p.size_param, String(p.size));
  }
  return u.toString();
}

/** rel="next" of an RFC 8288 Link header, resolved against the page's URL. */
export function linkNext(header: string | undefined, base: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(/,(?=\s*<)/)) {
    const m = /^\s*<([^>]*)>(.*)$/.exec(part);
    if (m && /;\s*rel\s*=\s*"?([^";]*\s)?next(\s[^";]*)?"?\s*(;|$)/i.test(m[2]!)) return new URL(m[1]!, base).toString();
  }
  return undefined;
}

export function nextUrl(s: CrawlSource, current: string, raw: unknown, headers: Record<string, string>): string | undefined {
  const p = s.pagination;
  if (!p || raw === null || raw === undefined) return undefined;
  if (p.style === 'link') return linkNext(headers.link, current);
  if (p.style === 'cursor') {
    const cursor = atPath(raw, p.cursor_path!.split('.'));
    if (cursor === null || cursor === undefined || cursor === '' || cursor === false) return undefined;
    const u = new URL(current);
    u.searchParams.set(p.param ?? 'cursor', String(cursor));
    return u.toString();
  }
  const records = atPath(raw, s.recordsPath);
  if (!Array.isArray(records) || records.length === 0) return undefined;
  if (p.size && records.length < p.size) return undefined;
  const u = new URL(current);
  const param = p.param ?? 'page';
  u.searchParams.set(param, String(Number(u.searchParams.get(param) ?? p.start ?? 1) + 1));
  return u.toString();
}
