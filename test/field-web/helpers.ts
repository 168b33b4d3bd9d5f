// The field web app under test: the real stack (Guardian, nexus-sync over
// HTTPS, the file's own database; test/sync/stack.ts) and Debian's Chromium
// through playwright-core with an iPad viewport. One persistent profile per
// device, so each has its own OPFS, service worker and cache.
//
// TLS: Chromium trusts the stack's server certificate through
// --ignore-certificate-errors-spki-list (the leaf's SPKI hash). Unlike
// ignoreHTTPSErrors, that makes the origin a clean secure context, which
// service workers require (a certificate error blocks their registration).

import { mkdtempSync, rmSync } from 'node:fs';
import { X509Certificate, createHash, randomUUID } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { after } from 'node:test';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { addDevice } from '../../src/guardian/index.ts';
import { loadServerTls } from '../../src/tls/index.ts';
import { startStack, type Stack } from '../sync/stack.ts';

export const IPAD = { width: 1180, height: 820 }; // iPad (10th gen) landscape, CSS pixels

export function spkiHash(home: string): string {
  const chain = String(loadServerTls(home).cert);
  const leaf = new X509Certificate(chain.slice(0, chain.indexOf('-----END CERTIFICATE-----') + 25));
  return createHash('sha256').update(leaf.publicKey.export({ type: 'spki', format: 'der' })).digest('base64');
}

export interface Ipad {
  context: BrowserContext;
  page: Page;
  dispose(): Promise<void>;
}

// Registered when the test file imports this module: a hook registered inside a test runs when that test ends.
const opened: Array<() => Promise<void>> = [];
after(async () => {
  for (const d of opened) await d();
});

export async function launchIpad(s: Stack, viewport = IPAD): Promise<Ipad> {
  const profile = mkdtempSync(path.join(os.tmpdir(), 'field-web-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', `--ignore-certificate-errors-spki-list=${spkiHash(s.home)}`],
    viewport,
    hasTouch: true,
    deviceScaleFactor: 1,
  });
  const page = context.pages()[0] ?? (await context.newPage());
  let disposed = false;
  const dispose = async () => {
    if (disposed) return;
    disposed = true;
    await context.close().catch(() => undefined);
    rmSync(profile, { recursive: true, force: true, maxRetries: 10, retryDelay: 200 });
  };
  opened.push(dispose);
  return { context, page, dispose };
}

export async function enrollmentCode(s: Stack): Promise<string> {
  return (await addDevice(s.home, { name: `ipad-${randomUUID().slice(0, 8)}`, enrollmentTtlHours: 24 })).enrollmentCode;
}

/** Opens /field/, enrols with a fresh code, waits for the patient list and the service worker. */
export async function enrol(s: Stack, ipad: Ipad): Promise<void> {
  const { page } = ipad;
  await page.goto(`${s.sync.url}/field/`);
  await page.fill('input[name=code]', await enrollmentCode(s));
  await page.click('button[type=submit]');
  await page.waitForSelector('body[data-ready=true]');
  await page.evaluate(() => (globalThis as any).navigator.serviceWorker.ready);
}

/** Waits until a background sync finished with an empty outbox. */
export async function synced(page: Page, timeout = 30_000): Promise<void> {
  await page.waitForFunction(() => {
    const app = (globalThis as any).nexusField;
    const outbox = (globalThis as any).document.querySelector('#status [data-outbox]')?.dataset.outbox;
    return Boolean(app && !app.bg.busy && app.bg.lastOutcome?.ok === true && outbox === '0');
  }, null, { timeout, polling: 250 });
}

/** Runs one sync now (as the background scheduler would) and waits for it. */
export async function syncNow(page: Page): Promise<void> {
  await page.evaluate(async () => {
    const app = (globalThis as any).nexusField;
    await app.bg.idle();
    app.bg.trigger('manual');
    await app.bg.idle();
    if (!app.bg.lastOutcome.ok) throw new Error(String(app.bg.lastOutcome.error?.message ?? app.bg.lastOutcome.error));
  });
}

export { startStack, type Stack };
