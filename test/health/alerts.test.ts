// Alerts go out when a check changes state, not on every run, and a
// flapping check cannot storm; delivery by webhook and e-mail, retried when
// the receiver fails; backup failures are delivered the same way.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { testDatabase } from '../helpers/db.ts';
import { healthRound } from '../../src/health/monitor.ts';
import { shouldAlert } from '../../src/health/alert-policy.ts';
import { deliverAlerts } from '../../src/health/deliver.ts';
import { raiseAlert } from '../../src/backup/record.ts';
import type { Settings } from '../../src/core/settings.ts';
import type { Status } from '../../src/health/types.ts';
import { smtpSink, webhookSink } from './sinks.ts';

const t = await testDatabase();
const MIN = 60_000;

test('shouldAlert: changes only, at most once per cooldown', () => {
  const now = new Date();
  const ago = (m: number) => new Date(now.getTime() - m * MIN);
  assert.equal(shouldAlert('ok', undefined, now, 30 * MIN), false);
  assert.equal(shouldAlert('fail', undefined, now, 30 * MIN), true);
  assert.equal(shouldAlert('fail', { alertedStatus: 'fail', alertedAt: ago(1) }, now, 30 * MIN), false);
  assert.equal(shouldAlert('ok', { alertedStatus: 'fail', alertedAt: ago(5) }, now, 30 * MIN), false);
  assert.equal(shouldAlert('ok', { alertedStatus: 'fail', alertedAt: ago(31) }, now, 30 * MIN), true);
});

test('a flapping check alerts on the first change, then once after the cooldown, with history kept', async () => {
  const hook = await webhookSink();
  try {
    let status: Status = 'ok';
    const checks = [{ name: 'probe', run: async () => ({ name: 'probe', status, message: `probe is ${status}` }) }];
    const settings: Settings = { ...t.settings, alertWebhook: hook.url, alertCooldownMinutes: 30 };
    const t0 = Date.now();
    const at = (m: number) => new Date(t0 + m * MIN);
    const seq: Array<[number, Status]> = [[0, 'ok'], [1, 'fail'], [2, 'fail'], [3, 'ok'], [4, 'fail'], [5, 'ok'], [6, 'fail'], [40, 'fail'], [41, 'ok'], [80, 'ok']];
    const alerted: string[] = [];
    for (const [m, s] of seq) {
      status = s;
      const round = await healthRound(settings, t.db, {}, checks, at(m));
      alerted.push(...round.alerts.map((a) => `${m}:${a.status}`));
    }
    // fail at 1; the flapping 3–6 stays quiet; at 40 it still fails as last alerted: quiet; ok at 41 is past the cooldown.
    assert.deepEqual(alerted, ['1:fail', '41:ok']);
    assert.deepEqual(hook.bodies.map((b) => [b.subject, b.severity, b.source]), [['probe', 'fail', 'health'], ['probe', 'ok', 'health']]);
    assert.match(String(hook.bodies[0]!.text), /^\[nexus FAIL\] probe: probe is fail/);
    const hist = await t.query('nexus_etl', "SELECT count(*)::int AS n FROM nexus.health_result WHERE check_name = 'probe'");
    assert.deepEqual(hist, [{ n: seq.length }]);
    const state = await t.query('nexus_health', "SELECT status, alerted_status FROM nexus.health_state WHERE check_name = 'probe'");
    assert.deepEqual(state, [{ status: 'ok', alerted_status: 'ok' }]);
  } finally {
    await hook.close();
  }
});

test('a backup failure is delivered by webhook and e-mail; a failing webhook is retried', async () => {
  const hook = await webhookSink(1);
  const smtp = await smtpSink();
  try {
    await raiseAlert(t.db, 'backup dump', 'fail', 'backup dump failed: disk full');
    const s = { ...t.settings, alertWebhook: hook.url, smtpHost: '127.0.0.1', smtpPort: smtp.port, alertEmailTo: 'ops@example.org' };
    const first = await deliverAlerts(t.db, s);
    assert.deepEqual(first, { delivered: 0, failed: 1 });
    const pending = await t.query('nexus_health', "SELECT attempt_count, last_error FROM nexus.alert_event WHERE source = 'backup'");
    assert.deepEqual(pending, [{ attempt_count: 1, last_error: 'webhook answered 503' }]);
    assert.deepEqual(await deliverAlerts(t.db, s), { delivered: 1, failed: 0 });
    assert.deepEqual(await deliverAlerts(t.db, s), { delivered: 0, failed: 0 }); // nothing twice
    assert.equal(hook.bodies.length, 1);
    assert.equal(hook.bodies[0]!.message, 'backup dump failed: disk full');
    assert.equal(smtp.messages.length, 1);
    assert.match(smtp.messages[0]!, /Subject: \[nexus FAIL\] backup dump: backup dump failed: disk full/);
    assert.match(smtp.messages[0]!, /To: ops@example\.org/);
  } finally {
    await hook.close();
    await smtp.close();
  }
});
