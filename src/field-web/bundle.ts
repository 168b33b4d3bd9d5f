// Builds the field web app in memory with esbuild: app.js (the app and the
// device library, minified, one file) and sw.js (the service worker, with
// the precache list and the build's content hash compiled in), next to the
// static files. Runs in the sync server on the first request to /field/ and
// is kept for the process's life: no build step at install time, nothing
// written to disk, and `npm ci && npm start` serves the current source.

import { readFileSync, readdirSync } from 'node:fs';
import { createHash } from 'node:crypto';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const HERE = path.dirname(fileURLToPath(import.meta.url));

export interface Asset {
  body: Buffer;
  type: string;
  etag: string;
}

export interface FieldWebBundle {
  /** File name under /field/ → asset ('' is index.html). */
  assets: Map<string, Asset>;
  version: string;
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml', '.png': 'image/png', '.webmanifest': 'application/manifest+json',
};

const asset = (body: Buffer, name: string): Asset => ({
  body, type: TYPES[path.extname(name)] ?? 'application/octet-stream', etag: `"${createHash('sha256').update(body).digest('hex').slice(0, 20)}"`,
});

async function bundleOne(entry: string, define: Record<string, string> = {}): Promise<Buffer> {
  const out = await build({
    entryPoints: [path.join(HERE, 'app', entry)],
    bundle: true, write: false, minify: true, format: 'iife', platform: 'browser',
    target: ['es2022', 'safari16', 'chrome110'], legalComments: 'none', define, logLevel: 'silent',
  });
  return Buffer.from(out.outputFiles[0]!.contents);
}

export async function buildFieldWeb(): Promise<FieldWebBundle> {
  const assets = new Map<string, Asset>();
  for (const f of readdirSync(path.join(HERE, 'static'))) assets.set(f, asset(readFileSync(path.join(HERE, 'static', f)), f));
  assets.set('app.js', asset(await bundleOne('main.ts'), 'app.js'));
  const hash = createHash('sha256');
  for (const [name, a] of [...assets].sort(([x], [y]) => x.localeCompare(y))) hash.update(name).update(a.body);
  const version = hash.digest('hex').slice(0, 16);
  // './' is the app shell for every navigation; index.html is the same bytes.
  const precache = ['./', ...[...assets.keys()].filter((n) => n !== 'index.html').sort()];
  assets.set('sw.js', asset(await bundleOne('sw.ts', { __PRECACHE__: JSON.stringify(precache), __VERSION__: JSON.stringify(version) }), 'sw.js'));
  assets.set('', assets.get('index.html')!);
  return { assets, version };
}
