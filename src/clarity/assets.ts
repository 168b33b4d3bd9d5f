// Static assets (static/): served with a content hash in the URL and cached
// for a year as immutable; a request with a stale or missing hash is served
// without caching, so a deploy is picked up at once.

import { readFileSync, readdirSync } from 'node:fs';
import { createHash } from 'node:crypto';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), 'static');
const TYPES: Record<string, string> = { '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8', '.svg': 'image/svg+xml' };

interface Asset {
  body: Buffer;
  type: string;
  hash: string;
}

const assets = new Map<string, Asset>();
for (const f of readdirSync(DIR)) {
  const body = readFileSync(path.join(DIR, f));
  assets.set(f, { body, type: TYPES[path.extname(f)] ?? 'application/octet-stream', hash: createHash('sha256').update(body).digest('hex').slice(0, 12) });
}

export function assetUrl(name: string): string {
  return `/static/${name}?v=${assets.get(name)?.hash ?? '0'}`;
}

export function getAsset(name: string): Asset | undefined {
  return assets.get(name);
}
