// The ETL services on the real job queue: a request from the sync side
// (nexus.request_etl) reaches mart_field within seconds, and several worker
// processes sharing the queue build the same warehouse as one build would.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { testDatabase } from '../helpers/db.ts';
import { layerChecksums } from '../helpers/checksum.ts';
import { device, land, patient, session } from '../helpers/field-data.ts';
import { waitFor } from '../helpers/cli.ts';
import { etlMartsService, etlStagingService } from '../../src/etl/service.ts';
import { settle } from '../helpers/etl.ts';
import { createLogger } from '../../src/core/log.ts';
import type { RunningService } from '../../src/core/service.ts';

const t = await testDatabase();
const log = createLogger('silent'); // the database is dropped under the workers when the file ends
const ctx = { settings: t.settings, log, db: t.db, endpoints: {} };

async function changeCount(): Promise<number> {
  const [r] = await t.query<{ n: number }>('admin', 'SELECT count(*)::int AS n FROM mart_field.changes');
  return r!.n;
}

test('a push-side request reaches mart_field within 10 seconds; several workers agree with one build', async (t2) => {
  const running: RunningService[] = [];
  t2.after(() => Promise.all(running.map((s) => s.stop())));
  for (let i = 0; i < 2; i++) running.push(await etlStagingService.start(ctx), await etlMartsService.start(ctx));

  const a = device();
  const p = patient();
  await land(t, a, [p, session(p.patient_id)]);
  const t0 = Date.now();
  await t.query('nexus_sync', 'SELECT nexus.request_etl()');
  await waitFor('changes in mart_field', async () => ((await changeCount()) === 2 ? true : undefined), 10_000);
  assert.ok(Date.now() - t0 < 10_000);

  // A burst of pushes with a request each, from three devices, while four workers run.
  const devices = [device(), device(), device()];
  let expected = 2;
  for (let round = 0; round < 15; round++) {
    await Promise.all(
      devices.map(async (d) => {
        const ps = Array.from({ length: 20 }, () => patient());
        await land(t, d, ps.flatMap((x) => [x, session(x.patient_id)]));
        await t.query('nexus_sync', 'SELECT nexus.request_etl()');
      }),
    );
    expected += 3 * 40;
  }
  await waitFor('every change in mart_field', async () => ((await changeCount()) === expected ? true : undefined), 60_000).catch(async (err) => {
    const status = await t.query('admin', `SELECT model, through_txid::text, (SELECT count(*) FROM staging.sync_inbound s WHERE s.txid >= w.through_txid) AS waiting FROM nexus.etl_watermarks w`);
    const jobs = await t.query('admin', 'SELECT task_identifier, run_at, locked_at, attempts, last_error FROM graphile_worker.jobs');
    throw new Error(`${err.message}: ${await changeCount()} of ${expected}; ${JSON.stringify(status)}; jobs ${JSON.stringify(jobs)}`);
  });
  await Promise.all(running.splice(0).map((s) => s.stop()));

  const byWorkers = await layerChecksums(t);
  await settle(t, { fullRefresh: true });
  assert.deepEqual(await layerChecksums(t), byWorkers);
  const runs = await t.query<{ n: number }>('admin', `SELECT count(DISTINCT worker)::int AS n FROM nexus.etl_runs WHERE worker IS NOT NULL AND worker <> 'cli' AND NOT full_refresh`);
  assert.ok(runs[0]!.n >= 1);
});
