// Clarity for tests: the real service (HTTPS, DuckDB file, refresh through
// clarity_reader) on a test database, in its own NEXUS_HOME, and Debian's
// Chromium driven by playwright-core. Callers stop both (in an after hook at
// the top of the file: a hook registered inside another hook runs too early).

import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Agent, request } from 'undici';
import { chromium, type BrowserContext } from 'playwright-core';
import type { TestDb } from '../helpers/db.ts';
import { createLogger } from '../../src/core/log.ts';
import { clarityService } from '../../src/clarity/service.ts';
import { clarityPaths } from '../../src/clarity/paths.ts';
import { JsonStore } from '../../src/clarity/store.ts';
import { addUser, type Role } from '../../src/clarity/users.ts';

export const PASSWORD = 'correct horse battery';

export interface RunningClarity {
  url: string;
  home: string;
  store: JsonStore;
  /** Stops the service and starts it again on the same home (a new port: read `url` again). */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

export async function startClarity(t: TestDb, users: Array<[string, Role]> = [['ada', 'admin'], ['vic', 'viewer'], ['eddie', 'editor']]): Promise<RunningClarity> {
  const home = mkdtempSync(path.join(os.tmpdir(), 'clarity-test-'));
  const store = new JsonStore(clarityPaths(home).state);
  for (const [name, role] of users) await addUser(store, name, role, PASSWORD);
  const settings = { ...t.settings, home, clarityPort: 0, clarityHost: '127.0.0.1', clarityRefreshSeconds: 0 };
  const begin = () => clarityService.start({ settings, log: createLogger('warn'), db: t.db, endpoints: {} });
  let svc = await begin();
  let stopped = false;
  const running: RunningClarity = {
    url: svc.endpoints!.clarity!,
    home,
    store,
    async restart() {
      await svc.stop();
      svc = await begin();
      running.url = svc.endpoints!.clarity!;
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      await svc.stop();
      rmSync(home, { recursive: true, force: true });
    },
  };
  return running;
}

/** An HTTPS client that trusts the test CA's certificate (the service made it). */
export const insecure = new Agent({ connect: { rejectUnauthorized: false } });

export async function login(url: string, user: string, password = PASSWORD): Promise<{ cookie: string; csrf: string }> {
  const res = await request(`${url}/login`, { method: 'POST', dispatcher: insecure, headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ user, password }).toString() });
  await res.body.text();
  if (res.statusCode !== 303) throw new Error(`login as ${user}: ${res.statusCode}`);
  const cookie = String(res.headers['set-cookie']).split(';')[0]!;
  const home = await request(`${url}/`, { dispatcher: insecure, headers: { cookie } });
  const html = await home.body.text();
  const csrf = /name="csrf-token" content="([^"]+)"/.exec(html)![1]!;
  return { cookie, csrf };
}

export async function api<T = any>(url: string, auth: { cookie: string; csrf: string }, method: string, p: string, body?: unknown): Promise<{ status: number; body: T }> {
  const res = await request(`${url}${p}`, {
    method: method as 'GET',
    dispatcher: insecure,
    headers: { cookie: auth.cookie, 'x-csrf-token': auth.csrf, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await res.body.text();
  return { status: res.statusCode, body: (text ? JSON.parse(text) : null) as T };
}

/** Chromium with a fresh profile (a persistent context on a new --user-data-dir), HTTPS errors ignored for the test CA. */
export async function launchChromium(): Promise<BrowserContext & { dispose(): Promise<void> }> {
  const profile = mkdtempSync(path.join(os.tmpdir(), 'clarity-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync'],
    ignoreHTTPSErrors: true,
    acceptDownloads: true,
    viewport: { width: 1360, height: 900 },
  });
  return Object.assign(context, {
    async dispose() {
      await context.close();
      // Chromium may still be flushing its profile as it exits.
      rmSync(profile, { recursive: true, force: true, maxRetries: 10, retryDelay: 200 });
    },
  });
}
