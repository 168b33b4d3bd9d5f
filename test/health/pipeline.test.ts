// ETL freshness and silent devices, from the sync and ETL bookkeeping tables.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { testDatabase } from '../helpers/db.ts';
import { checkContext } from '../../src/health/monitor.ts';
import { etlFreshness, silentDevices } from '../../src/health/checks/pipeline.ts';
import type { CheckResult } from '../../src/health/types.ts';

const t = await testDatabase();
const run = async (c: typeof etlFreshness) => (await c(checkContext(t.settings, t.db, {}))) as CheckResult;
const device = (id: string, seenDaysAgo: number, pushedMinutesAgo: number) =>
  t.query('admin', `INSERT INTO nexus.sync_device (device_id, last_seen_at, last_push_at) VALUES ($1, now() - make_interval(days => $2), now() - make_interval(mins => $3))`, [id, seenDaysAgo, pushedMinutesAgo]);
const etlRun = (model: string, status: string, minutesAgo: number) =>
  t.query('nexus_etl', `INSERT INTO nexus.etl_runs (model, status, started_at) VALUES ($1, $2, now() - make_interval(mins => $3))`, [model, status, minutesAgo]);

test('ETL freshness: pushed data waiting too long warns, a later good run clears it, a failed run fails', async () => {
  assert.equal((await run(etlFreshness)).message, 'nothing pushed yet');
  await device('00000000-0000-4000-8000-000000000001', 0, 30);
  const waiting = await run(etlFreshness);
  assert.equal(waiting.status, 'warn', waiting.message);
  assert.match(waiting.message, /has waited 30 min for the ETL \(last good run never\)/);
  await etlRun('stg_sessions', 'ok', 1);
  assert.equal((await run(etlFreshness)).status, 'ok');
  await etlRun('fct_transactions', 'test_failed', 0);
  const failed = await run(etlFreshness);
  assert.equal(failed.status, 'fail');
  assert.match(failed.message, /fct_transactions \(test_failed\)/);
});

test('devices not seen for NEXUS_DEVICE_SILENT_DAYS are named', async () => {
  assert.equal((await run(silentDevices)).status, 'ok');
  await device('00000000-0000-4000-8000-000000000002', 9, 9 * 24 * 60);
  const r = await run(silentDevices);
  assert.equal(r.status, 'warn');
  assert.equal(r.value, 1);
  assert.match(r.message, /1 device\(s\) not seen for 7\+ days.*00000000-0000-4000-8000-000000000002/);
});
