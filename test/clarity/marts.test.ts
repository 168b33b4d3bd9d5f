// mart_ops and mart_analytics: built from the warehouse, consistent with it,
// identical after a rerun and after a full refresh.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { testDatabase } from '../helpers/db.ts';
import { layerChecksums } from '../helpers/checksum.ts';
import { settle } from '../helpers/etl.ts';
import { landFieldHistory } from './fixtures.ts';

const t = await testDatabase();

test('the marts hold what the warehouse says', async () => {
  const { devices } = await landFieldHistory(t);
  const status = await t.query<{ device_id: string; push_count: string; pull_count: string; rejected_count: string; conflict_count: string; last_seq: string }>(
    'admin', 'SELECT * FROM mart_ops.device_status ORDER BY device_id');
  assert.equal(status.length, 3);
  assert.deepEqual(status.map((s) => [Number(s.push_count), Number(s.pull_count)]), [[1, 1], [1, 1], [1, 1]]);
  assert.equal(status.find((s) => s.device_id === devices[2])!.rejected_count, '1');
  assert.equal(status.reduce((n, s) => n + Number(s.conflict_count), 0), 1, 'one soft conflict');
  const [q] = await t.query<{ n: number; reason_code: string }>('admin', 'SELECT count(*)::int AS n, min(reason_code) AS reason_code FROM mart_ops.quarantine');
  assert.deepEqual(q, { n: 1, reason_code: 'invalid_birth_date' });
  const [c] = await t.query<{ n: number }>('admin', 'SELECT count(*)::int AS n FROM mart_ops.conflicts');
  assert.equal(c!.n, 1);

  const [s] = await t.query<{ mart: number; wh: number; daily: number; north: number }>('admin', `SELECT
    (SELECT count(*)::int FROM mart_analytics.sessions) AS mart,
    (SELECT count(*)::int FROM warehouse.fact_transactions WHERE is_current) AS wh,
    (SELECT sum(session_count)::int FROM mart_analytics.sessions_daily) AS daily,
    (SELECT sum(session_count)::int FROM mart_analytics.sessions_daily WHERE group_name = 'north') AS north`);
  assert.equal(s!.mart, (12 + 16 + 20) * 2);
  assert.equal(s!.wh, s!.mart);
  assert.equal(s!.daily, s!.mart, 'each device is in exactly one group here');
  assert.equal(s!.north, (12 + 16) * 2);

  const [m] = await t.query<{ readings: number; outside: number; expected: number }>('admin', `SELECT
    (SELECT sum(reading_count)::int FROM mart_analytics.measures_daily WHERE measure = 'pulse_bpm') AS readings,
    (SELECT sum(outside_count)::int FROM mart_analytics.measures_daily WHERE measure = 'pulse_bpm') AS outside,
    (SELECT count(*)::int FROM mart_analytics.sessions WHERE pulse_bpm < 50 OR pulse_bpm > 100) AS expected`);
  assert.equal(m!.readings, s!.mart);
  assert.ok(m!.expected > 0);
  assert.equal(m!.outside, m!.expected, 'share outside alerts.thresholds');

  const [p] = await t.query<{ n: number; docs: number; bad: number }>('admin', `SELECT count(*)::int AS n, sum(document_count)::int AS docs,
    count(*) FILTER (WHERE first_seen_at > last_seen_at OR session_count <> 2)::int AS bad FROM mart_analytics.patients`);
  assert.deepEqual(p, { n: 48, docs: 48, bad: 0 });
  const [e] = await t.query<{ n: number }>('admin', `SELECT sum(event_count)::int AS n FROM mart_analytics.events_daily WHERE event_type = 'document'`);
  assert.equal(e!.n, 48);
  const [h] = await t.query<{ n: number; cur: number }>('admin', 'SELECT count(*)::int AS n, count(*) FILTER (WHERE is_current)::int AS cur FROM mart_analytics.patient_history');
  assert.equal(h!.cur, 48);
  assert.ok(h!.n > 48, 'the edited patient has history');

  const views = await t.query<{ kind: string }>('clarity_reader', 'SELECT * FROM mart_ops.etl_lag');
  assert.ok(views.length > 5);
  await t.query('clarity_reader', 'SELECT * FROM mart_ops.backup_status');
  await t.query('clarity_reader', 'SELECT * FROM mart_ops.health_status');
  const [b] = await t.query<{ waiting_rows: string }>('clarity_reader', `SELECT waiting_rows FROM mart_ops.ingest_backlog WHERE source_kind = 'field'`);
  assert.equal(b!.waiting_rows, '0');
});

test('a rerun and a full refresh leave the marts identical', async () => {
  await landFieldHistory(t);
  const built = await layerChecksums(t, ['mart_ops', 'mart_analytics']);
  await settle(t);
  assert.deepEqual(await layerChecksums(t, ['mart_ops', 'mart_analytics']), built);
  await settle(t, { fullRefresh: true });
  assert.deepEqual(await layerChecksums(t, ['mart_ops', 'mart_analytics']), built);
});

test('new alert thresholds reach measures_daily at the next run, with no new data and no full refresh', async () => {
  await landFieldHistory(t);
  const outside = async () => (await t.query<{ outside: number; expected: number; low: string }>('admin', `SELECT
    (SELECT sum(outside_count)::int FROM mart_analytics.measures_daily WHERE measure = 'pulse_bpm') AS outside,
    (SELECT count(*)::int FROM mart_analytics.sessions WHERE pulse_bpm < 70 OR pulse_bpm > 90) AS expected,
    (SELECT min(low_threshold)::text FROM mart_analytics.measures_daily WHERE measure = 'pulse_bpm') AS low`))[0]!;
  const before = await outside();
  assert.equal(before.low, '50');
  await t.query('nexus_owner', `UPDATE nexus.parameters SET value = $1 WHERE key = 'alerts.thresholds'`,
    [JSON.stringify({ pulse_bpm: [70, 90], spo2_pct: [92, 100] })]); // pulse narrowed, systolic dropped
  await settle(t);
  const after = await outside();
  assert.equal(after.low, '70');
  assert.ok(after.expected > before.outside, 'the narrower range puts more readings outside');
  assert.equal(after.outside, after.expected);
  const [sys] = await t.query<{ n: number }>('admin',
    `SELECT count(*)::int AS n FROM mart_analytics.measures_daily WHERE measure = 'systolic_mmhg' AND (low_threshold IS NOT NULL OR outside_count > 0)`);
  assert.equal(sys!.n, 0, 'a measure whose thresholds were removed has none left');
  const applied = await t.query<{ measure: string }>('admin', 'SELECT measure FROM mart_analytics.measures_thresholds ORDER BY measure');
  assert.deepEqual(applied.map((r) => r.measure), ['pulse_bpm', 'spo2_pct']);
});
