// The field web app's entry: service worker, one tab owning the device folder
// (Web Lock), enrolment or the opened device, the header, the hash router and
// background sync. Everything runs against OPFS; the network is optional.

import { BackgroundSync, openDevice, outboxSeqs, readParameters, reconcileIndex, sync, type FieldClient, type RetryPolicy } from '../../field/index.ts';
import { opfsFs } from './opfs-fs.ts';
import { fetchHttp } from './fetch-http.ts';
import { PatientSearch } from './patient-index.ts';
import { intervalSeconds } from './forms.ts';
import { h, clear, ago } from './dom.ts';
import { enrolScreen } from './enrol.ts';
import { patientList, patientPage } from './patients.ts';
import { patientForm } from './patient-form.ts';
import { sessionForm } from './session-form.ts';
import { syncPanel } from './sync-panel.ts';
import { errorText, type AppContext } from './context.ts';

// Per request: few quick retries; the scheduler's backoff takes over after that,
// so an unreachable server never holds a sync (and its lock on edits) for minutes.
const WEB_RETRY: RetryPolicy = { attempts: 3, baseMs: 300, capMs: 3_000 };

const screen = document.getElementById('view')!;
const status = document.getElementById('status')!;

function registerServiceWorker(): void {
  if (!('serviceWorker' in navigator)) return;
  navigator.serviceWorker.register('./sw.js', { scope: './' }).catch((err: unknown) => console.warn('service worker', err));
  // A new version took over: offer a reload (local data lives in OPFS, untouched by updates).
  document.getElementById('reload')?.addEventListener('click', () => location.reload());
  let had = Boolean(navigator.serviceWorker.controller);
  navigator.serviceWorker.addEventListener('controllerchange', () => {
    if (had) document.getElementById('update')?.removeAttribute('hidden');
    had = true;
  });
}

async function header(app: AppContext): Promise<void> {
  const n = (await outboxSeqs(app.client.device.fs)).length;
  const last = app.client.device.state.last_sync_at;
  const online = navigator.onLine;
  clear(status,
    h('span', { class: online ? 'pill online' : 'pill offline', 'data-online': String(online) }, online ? 'Online' : 'Offline'),
    h('a', { href: '#/sync', class: 'pill', 'data-outbox': String(n) }, app.bg.busy ? 'Syncing…' : `${n} to send · synced ${ago(last)}`));
}

let routing = 0;

/** Renders the screen of the current hash off-document, then shows it unless a later navigation overtook it. */
async function route(app: AppContext): Promise<void> {
  const [path, query] = location.hash.replace(/^#/, '').split('?') as [string, string | undefined];
  const parts = path.split('/').filter(Boolean);
  const mine = ++routing;
  const view = h('div', { class: 'screen' });
  try {
    if (parts[0] === 'sync') await syncPanel(view, app);
    else if (parts[0] === 'patient' && parts[1] === 'new') await patientForm(view, app, null);
    else if (parts[0] === 'patient' && parts[1] && parts[2] === 'edit') await patientForm(view, app, parts[1]);
    else if (parts[0] === 'patient' && parts[1] && parts[2] === 'session') await sessionForm(view, app, parts[1], parts[3] === 'new' ? null : (parts[3] ?? null));
    else if (parts[0] === 'patient' && parts[1]) await patientPage(view, app, parts[1]);
    else patientList(view, app, new URLSearchParams(query ?? '').get('q') ?? '');
  } catch (err) {
    clear(view, h('p', { class: 'card error' }, errorText(err)));
  }
  if (mine !== routing) return;
  screen.replaceChildren(view);
  view.querySelector<HTMLElement>('input[name=q], input[name=code]')?.focus();
  document.querySelectorAll('nav a').forEach((a) => a.classList.toggle('active', (a.getAttribute('href') === '#/sync') === (parts[0] === 'sync')));
}

async function start(client: FieldClient): Promise<void> {
  // The list comes from the library's patient index, read once by openDevice (no folder walk).
  const index = new PatientSearch(client.device);
  const app: AppContext = {
    client, index, params: (await readParameters(client.device.fs))?.parameters ?? {},
    bg: undefined as unknown as BackgroundSync,
    async afterEdit() {
      void header(app);
      app.bg.trigger('edit');
    },
    go: (hash) => {
      if (location.hash === hash) void route(app);
      else location.hash = hash;
    },
  };
  let changed = false;
  let seen = client.device.patients.revision;
  app.bg = new BackgroundSync({
    run: async () => {
      void header(app);
      try {
        await sync(client);
      } catch (err) {
        // Where the browser has Background Sync, ask to be woken when the network is back.
        const reg = await navigator.serviceWorker?.getRegistration?.().catch(() => undefined);
        await (reg as { sync?: { register(tag: string): Promise<void> } } | undefined)?.sync?.register('nexus-field-sync').catch(() => undefined);
        throw err;
      } finally {
        // Before the run counts as done: what the next screen shows is current.
        app.params = (await readParameters(client.device.fs))?.parameters ?? {};
        changed = client.device.patients.revision !== seen || changed;
        seen = client.device.patients.revision;
      }
    },
    intervalSeconds: () => intervalSeconds(app.params),
    isOnline: () => navigator.onLine,
    onOnline: (cb) => {
      window.addEventListener('online', cb);
      return () => window.removeEventListener('online', cb);
    },
    onRun: async () => {
      const shown = changed;
      changed = false;
      await header(app);
      document.body.dataset.syncs = String(Number(document.body.dataset.syncs ?? 0) + 1);
      // Refresh what is shown unless the user is typing into a form.
      const hash = location.hash;
      if (hash.startsWith('#/sync') || (shown && !hash.includes('/new') && !hash.includes('/edit') && !/\/session\//.test(hash))) void route(app);
    },
  });
  window.addEventListener('hashchange', () => void route(app));
  window.addEventListener('offline', () => void header(app));
  window.addEventListener('online', () => void header(app));
  navigator.serviceWorker?.addEventListener('message', (e: MessageEvent) => {
    if ((e.data as { type?: string })?.type === 'sync') app.bg.trigger('online');
  });
  setInterval(() => void header(app), 30_000);
  (globalThis as { nexusField?: AppContext }).nexusField = app;
  document.body.dataset.ready = 'true';
  await header(app);
  await route(app);
  performance.mark('nexus-field-ready'); // the budget benchmark reads it
  app.bg.start();
  // The index against the folders (one listing of patients/: ~1 s of small steps with 5,000 in
  // OPFS) is no crash-safety step: it waits until the app has been idle a moment after start.
  const idle = (fn: () => void): unknown => ('requestIdleCallback' in window ? requestIdleCallback(fn, { timeout: 5_000 }) : setTimeout(fn, 0));
  setTimeout(() => idle(() => void checkIndex(app)), 3_000);
}

async function checkIndex(app: AppContext): Promise<void> {
  const dev = app.client.device;
  const before = dev.patients.revision;
  const t0 = performance.now();
  await dev.exclusive(() => dev.guard(() => reconcileIndex(dev))).catch((err: unknown) => console.warn('patient index check', err));
  performance.measure('nexus-field-index-check', { start: t0, end: performance.now() }); // the benchmark reads it
  document.body.dataset.indexChecked = 'true';
  if (dev.patients.revision !== before && /^(#\/?)?(\?.*)?$/.test(location.hash)) void route(app);
}

async function open(): Promise<void> {
  const fs = await opfsFs();
  const http = fetchHttp();
  const opened = async () => start(await openDevice(fs, http, { retry: WEB_RETRY, reconcileLater: true }));
  if (await fs.stat('device.json')) return opened();
  status.replaceChildren();
  enrolScreen(screen, fs, http, WEB_RETRY, () => void opened().catch(fatal));
}

function fatal(err: unknown): void {
  clear(screen, h('section', { class: 'card error' }, h('h1', {}, 'The app cannot start'), h('p', {}, errorText(err))));
}

registerServiceWorker();
if (!navigator.storage?.getDirectory || typeof FileSystemFileHandle === 'undefined' || !('createWritable' in FileSystemFileHandle.prototype)) {
  fatal(new Error('This browser has no writable Origin Private File System. Use Safari 26 / iPadOS 26 or newer, or a current Chromium.'));
} else if (navigator.locks) {
  // One tab owns the device folder (the library allows one writer); the lock is held for the tab's life.
  void navigator.locks.request('nexus-field-device', { ifAvailable: true }, async (lock) => {
    if (!lock) return fatal(new Error('The app is already open in another tab or window of this browser. Use that one.'));
    await open().catch(fatal);
    await new Promise(() => undefined);
  });
} else {
  void open().catch(fatal);
}
