// The service worker: precaches the app shell (the list is the build's, with
// its content hash as the cache name) so the app starts with no network after
// the first visit. API calls (/v1, /field/guardian) are never cached. A new
// build installs in the background on the next online start; the old cache
// is dropped once it activates. Local data is in OPFS, which this never touches.

declare const __PRECACHE__: string[];
declare const __VERSION__: string;

interface SwEvent extends Event {
  waitUntil(p: Promise<unknown>): void;
}
interface FetchEv extends SwEvent {
  request: Request;
  respondWith(r: Promise<Response> | Response): void;
}
interface SwScope {
  skipWaiting(): Promise<void>;
  clients: { claim(): Promise<void>; matchAll(o?: { type?: string; includeUncontrolled?: boolean }): Promise<Array<{ postMessage(m: unknown): void }>> };
  registration: { scope: string };
  addEventListener(type: string, fn: (e: never) => void): void;
}

const sw = self as unknown as SwScope;
const CACHE = `nexus-field-${__VERSION__}`;
const scope = new URL(sw.registration.scope);

sw.addEventListener('install', (e: SwEvent) => {
  e.waitUntil(caches.open(CACHE).then((c) => c.addAll(__PRECACHE__.map((p) => new Request(new URL(p, scope), { cache: 'reload' })))).then(() => sw.skipWaiting()));
});

sw.addEventListener('activate', (e: SwEvent) => {
  e.waitUntil(
    caches.keys()
      .then((keys) => Promise.all(keys.filter((k) => k.startsWith('nexus-field-') && k !== CACHE).map((k) => caches.delete(k))))
      .then(() => sw.clients.claim()),
  );
});

sw.addEventListener('fetch', (e: FetchEv) => {
  const url = new URL(e.request.url);
  if (e.request.method !== 'GET' || url.origin !== scope.origin || !url.pathname.startsWith(scope.pathname) || url.pathname.startsWith(`${scope.pathname}guardian/`)) return;
  const shell = e.request.mode === 'navigate' ? new URL('./', scope).href : url.href.split('?')[0]!;
  e.respondWith(
    caches.open(CACHE).then(async (c) => (await c.match(shell)) ?? fetch(e.request)),
  );
});

// Background Sync (where the browser has it): wake an open app to sync.
sw.addEventListener('sync', (e: SwEvent & { tag: string }) => {
  if (e.tag !== 'nexus-field-sync') return;
  e.waitUntil(sw.clients.matchAll({ type: 'window' }).then((cs) => cs.forEach((c) => c.postMessage({ type: 'sync' }))));
});
