// The field web app in Debian's Chromium (iPad viewport, touch) against the
// real stack: the four scenarios of issue 10. Screenshots for
// docs/field-app.md are kept when FIELD_WEB_SCREENSHOTS names a folder.

import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { setParameters } from '../../src/sync/parameters.ts';
import { settle } from '../helpers/etl.ts';
import { auth, enrolDevice, request } from '../sync/stack.ts';
import { enrol, launchIpad, startStack, synced, syncNow, type Ipad, type Stack } from './helpers.ts';

const s: Stack = await startStack();
let a: Ipad;
let b: Ipad;
let patientId = '';
const JPEG = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 16, 0x4a, 0x46, 0x49, 0x46, 0, 1, 1, 0, 0, 1, 0, 1, 0, 0, 0xff, 0xd9]);
const shots = mkdtempSync(path.join(os.tmpdir(), 'field-web-shots-'));
const keep = process.env.FIELD_WEB_SCREENSHOTS;

async function shot(page: Page, name: string): Promise<void> {
  const file = path.join(shots, `${name}.png`);
  // Toasts of earlier steps would cover the screen shown.
  await page.evaluate(() => (globalThis as any).document.querySelectorAll('.toast').forEach((t: any) => t.remove()));
  await page.screenshot({ path: file });
  if (keep) {
    mkdirSync(keep, { recursive: true });
    copyFileSync(file, path.join(keep, `field-${name}.png`));
  }
}

const deviceId = (page: Page): Promise<string> => page.evaluate(() => (globalThis as any).nexusField.client.device.state.device_id as string);

async function staged(device: string): Promise<Array<{ op_id: string; entity: string; entity_id: string; status: string }>> {
  return s.t.query('admin', 'SELECT op_id::text, entity, entity_id::text, status FROM staging.sync_inbound WHERE device_id = $1 ORDER BY seq', [device]);
}

before(async () => {
  await setParameters(s.t.db.pool('nexus_owner'), {
    session_types: ['home_visit', 'clinic_visit', 'phone_call'],
    'forms.visit-standard': { version: 4, fields: [{ key: 'mobility', type: 'choice', options: ['none', 'cane', 'walker', 'wheelchair'] }] },
    'alerts.thresholds': { pulse_bpm: [50, 110], systolic_mmhg: [90, 160], spo2_pct: [92, 100] },
    sites: ['north', 'south', 'clinic'],
    'sync.interval_seconds': 300,
  });
});

test('offline: a patient, two sessions and a photo survive a reload; online, they reach the warehouse exactly once', async () => {
  a = await launchIpad(s);
  const { page, context } = a;
  await enrol(s, a);
  await synced(page);
  await shot(page, 'patients-empty');

  await context.setOffline(true);
  await page.waitForSelector('#status [data-online=false]');
  await page.click('text=+ New patient');
  await page.fill('input[name=first_name]', 'Ada');
  await page.fill('input[name=last_name]', 'Berger');
  await page.fill('input[name=birth_date]', '1948-03-14');
  await page.selectOption('select[name=site]', 'north');
  await shot(page, 'patient-form');
  await page.click('button[type=submit]');
  await page.waitForSelector('[data-patient-name]');
  patientId = /#\/patient\/([0-9a-f-]{36})/.exec(page.url())![1]!;

  for (const [i, pulse] of [[1, '78'], [2, '131']] as const) {
    await page.click('[data-action=new-session]');
    await page.waitForSelector('fieldset[data-form]');
    await page.fill('input[name="m.pulse_bpm"]', pulse);
    await page.selectOption('select[name="answer.mobility"]', 'walker');
    if (i === 2) {
      assert.match(await page.textContent('[data-warning=pulse_bpm]') ?? '', /above 110/);
      await page.setInputFiles('input[name=photo]', { name: 'wound.jpg', mimeType: 'image/jpeg', buffer: JPEG });
      await page.waitForSelector('.attach [data-image]');
      await shot(page, 'session-form');
    }
    await page.click('button[type=submit]');
    await page.waitForSelector(`[data-session] >> nth=${i - 1}`);
  }
  assert.equal(await page.locator('[data-session]').count(), 2);

  // Offline reload: the service worker serves the app, OPFS still holds the data.
  const res = await page.reload();
  assert.ok(res?.fromServiceWorker(), 'the app shell came from the service worker');
  await page.waitForSelector('body[data-ready=true]');
  await page.waitForSelector('[data-session] >> nth=1');
  assert.equal(await page.locator('[data-image]').count(), 1);
  assert.equal(await page.getAttribute('#status [data-outbox]', 'data-outbox'), '4');
  await page.goto(`${s.sync.url}/field/#/sync`);
  await page.waitForSelector('[data-stat=outbox]');
  assert.equal(await page.textContent('[data-stat=outbox]'), '4');
  await shot(page, 'sync-offline');

  await context.setOffline(false); // the online event starts a background sync
  await synced(page);
  await syncNow(page); // and a second sync sends nothing twice
  const device = await deviceId(page);
  const rows = await staged(device);
  assert.deepEqual(rows.map((r) => r.entity).sort(), ['image', 'patient', 'session', 'session']);
  assert.equal(new Set(rows.map((r) => r.op_id)).size, 4, 'every op stored once');
  assert.ok(rows.every((r) => r.status === 'applied'));
  await settle(s.t);
  const [w] = await s.t.query<{ patients: number; sessions: number; images: number }>('admin', `SELECT
      (SELECT count(*)::int FROM warehouse.dim_entity WHERE patient_id = $1 AND entity_type = 'patient') AS patients,
      (SELECT count(*)::int FROM warehouse.fact_transactions WHERE patient_id = $1) AS sessions,
      (SELECT count(*)::int FROM warehouse.fact_events WHERE patient_id = $1 AND event_type = 'image') AS images`, [patientId]);
  assert.deepEqual(w, { patients: 1, sessions: 2, images: 1 });
  // The photo's bytes reached the file store.
  const sha = (rows.find((r) => r.entity === 'image') && (await s.t.query<{ sha: string }>('admin', "SELECT raw->'payload'->>'sha256' AS sha FROM staging.sync_inbound WHERE device_id = $1 AND entity = 'image'", [device]))[0]!.sha)!;
  const probe = await enrolDevice(s);
  const check = await request(s, s.sync.url, 'POST', '/v1/files/check', { headers: auth(probe.token), json: { sha256: [sha] } });
  assert.deepEqual(check.json, { missing: [] });
  await page.waitForSelector('[data-stat=outbox]:text("0")');
  await shot(page, 'sync-online');
});

const phoneOn = (page: Page, id: string): Promise<string | null> =>
  page.evaluate(async (pid) => {
    const fs = (globalThis as any).nexusField.client.device.fs;
    const bytes = await fs.read(`patients/${pid}/patient.json`);
    return bytes ? (JSON.parse(new TextDecoder().decode(bytes)).phone ?? null) : null;
  }, id);

async function editPhone(page: Page, phone: string): Promise<void> {
  await page.goto(`${s.sync.url}/field/#/patient/${patientId}/edit`);
  await page.fill('input[name=phone]', phone);
  await page.click('button[type=submit]');
  await page.waitForSelector('[data-patient-name]');
}

test('a second iPad sees the patient after its next sync; concurrent edits follow the conflict rules on both', async () => {
  b = await launchIpad(s);
  await enrol(s, b);
  await settle(s.t); // the pull feed is built by the ETL
  await syncNow(b.page);
  await b.page.goto(`${s.sync.url}/field/#/`);
  await b.page.fill('input[name=q]', 'berg');
  await b.page.waitForSelector(`[data-patient="${patientId}"]`);
  await shot(b.page, 'patients-search');

  // A edits offline (pending); B edits and syncs first; A's edit arrives later and wins on the server.
  await a.context.setOffline(true);
  await editPhone(a.page, '+49 30 1111');
  await editPhone(b.page, '+49 30 2222');
  await syncNow(b.page);
  await settle(s.t);
  await a.context.setOffline(false);
  await synced(a.page);
  assert.equal(await phoneOn(a.page, patientId), '+49 30 1111', 'A keeps its own edit (its op won by arrival)');
  await settle(s.t);
  await syncNow(b.page);
  assert.equal(await phoneOn(b.page, patientId), '+49 30 1111', 'B converges to the later arrival');
  const [cur] = await s.t.query<{ phone: string }>('admin', "SELECT payload->>'phone' AS phone FROM warehouse.dim_entity WHERE patient_id = $1 AND is_current", [patientId]);
  assert.equal(cur!.phone, '+49 30 1111');
});

test('a parameter changed on the server changes the session form after the next sync', async () => {
  const { page } = a;
  await page.goto(`${s.sync.url}/field/#/patient/${patientId}/session/new`);
  await page.waitForSelector('fieldset[data-form="visit-standard@4"]');
  assert.equal(await page.locator('select[name="answer.wound_stage"]').count(), 0);
  assert.equal(await page.locator('select[name=type] option[value=wound_care]').count(), 0);
  await setParameters(s.t.db.pool('nexus_owner'), {
    session_types: ['home_visit', 'clinic_visit', 'phone_call', 'wound_care'],
    'forms.visit-standard': { version: 5, fields: [{ key: 'mobility', type: 'choice', options: ['none', 'cane', 'walker'] }, { key: 'wound_stage', type: 'choice', options: ['I', 'II', 'III', 'IV'] }] },
    'alerts.thresholds': { pulse_bpm: [50, 100] },
  });
  await syncNow(page);
  await page.goto(`${s.sync.url}/field/#/patient/${patientId}`);
  await page.goto(`${s.sync.url}/field/#/patient/${patientId}/session/new`);
  await page.waitForSelector('fieldset[data-form="visit-standard@5"]');
  assert.equal(await page.locator('select[name="answer.wound_stage"]').count(), 1);
  assert.equal(await page.locator('select[name=type] option[value=wound_care]').count(), 1);
  await page.fill('input[name="m.pulse_bpm"]', '105');
  assert.match(await page.textContent('[data-warning=pulse_bpm]') ?? '', /above 100/);
});

test('the sync panel lists dead letters with the server\u2019s reason, and changes kept back by a pending edit', async () => {
  const { page } = b;
  // An op the server must reject (a client bug: payload_sha256 does not match), queued like any other.
  const badOp = await page.evaluate(async (pid) => {
    const dev = (globalThis as any).nexusField.client.device;
    const seq = dev.state.next_seq;
    const op = {
      op_id: crypto.randomUUID(), seq, entity: 'session', patient_id: pid, entity_id: crypto.randomUUID(), schema_version: 1,
      base_version: null, recorded_at: new Date().toISOString(), payload_sha256: '0'.repeat(64), payload: { type: 'home_visit' },
    };
    await dev.fs.writeAtomic(`outbox/${String(seq).padStart(12, '0')}.json`, JSON.stringify(op));
    dev.state.next_seq = seq + 1;
    return op.op_id as string;
  }, patientId);
  // A edits the patient and syncs; B's next pull meets that change while B holds a pending edit of its own
  // (made between B's push and its pull, so the pull must keep A's change back).
  await editPhone(a.page, '+49 30 4444');
  await syncNow(a.page);
  await settle(s.t);
  await page.route('**/v1/sync/pull**', async (route) => {
    await page.evaluate(async (pid) => {
      const dev = (globalThis as any).nexusField.client.device;
      const cur = JSON.parse(new TextDecoder().decode(await dev.fs.read(`patients/${pid}/patient.json`)));
      await dev.record('patient', pid, pid, { ...cur, phone: '+49 30 5555' });
    }, patientId);
    await route.continue();
  }, { times: 1 });
  await syncNow(page);
  await page.goto(`${s.sync.url}/field/#/sync`);
  const dead = page.locator(`[data-deadletter="${badOp}"]`);
  await dead.waitFor();
  assert.match(await dead.textContent() ?? '', /payload_hash_mismatch: payload_sha256 is not/);
  const kept = page.locator(`[data-kept="${patientId}"]`);
  await kept.waitFor();
  assert.match(await kept.textContent() ?? '', /patient .* \(server version \d+\)/);
  assert.equal(await phoneOn(page, patientId), '+49 30 5555', 'the pending local edit stays');
  await shot(page, 'sync-kept');

  // The next sync sends B's edit (it wins by arrival); the kept-back change is older and dropped.
  await syncNow(page);
  await page.goto(`${s.sync.url}/field/#/`);
  await page.goto(`${s.sync.url}/field/#/sync`);
  await page.waitForSelector('[data-stat=outbox]:text("0")');
  assert.equal(await page.locator('[data-kept]').count(), 0);
  assert.equal(await page.locator('[data-deadletter]').count(), 1, 'a dead letter stays for a person to read');
  await settle(s.t);
  await syncNow(a.page);
  assert.equal(await phoneOn(a.page, patientId), '+49 30 5555');
});

test('a local delete never reaches the server, and later pulls do not bring the patient back', async () => {
  const { page } = a;
  const device = await deviceId(page);
  const before = (await staged(device)).length;
  await page.goto(`${s.sync.url}/field/#/patient/${patientId}`);
  await page.click('[data-action=delete]');
  await shot(page, 'delete-confirm');
  await page.click('dialog [data-confirm]');
  await page.waitForSelector('input[name=q]');
  assert.equal(await page.locator(`[data-patient="${patientId}"]`).count(), 0);
  await syncNow(page);
  assert.equal((await staged(device)).length, before, 'nothing was sent for the delete');

  // Another device changes the patient; A pulls it, then pulls everything again from no cursor.
  await editPhone(b.page, '+49 30 3333');
  await syncNow(b.page);
  await settle(s.t);
  await syncNow(page);
  await page.evaluate(async () => {
    const app = (globalThis as any).nexusField;
    app.client.device.state.pull_cursor = null;
  });
  await syncNow(page);
  const left = await page.evaluate(async (pid) => {
    const app = (globalThis as any).nexusField;
    const fs = app.client.device.fs;
    return { folder: await fs.stat(`patients/${pid}`), listed: app.index.has(pid), tomb: app.client.device.isTombstoned(pid) };
  }, patientId);
  assert.deepEqual(left, { folder: null, listed: false, tomb: true });
  assert.equal((await staged(device)).length, before);
});
