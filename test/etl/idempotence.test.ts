// Reruns and crashes leave the warehouse exactly as an uninterrupted build:
// compared by a checksum of every warehouse and mart table.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { testDatabase, testHome } from '../helpers/db.ts';
import { layerChecksums } from '../helpers/checksum.ts';
import { device, document, land, patient, session, type Op } from '../helpers/field-data.ts';
import { startNexus, waitFor } from '../helpers/cli.ts';
import { clusterSettingsEnv } from '../helpers/cluster-env.ts';
import { settle } from '../helpers/etl.ts';
import { uuidv7 } from '../../src/protocol/index.ts';

const t = await testDatabase();

/** A few thousand ops from three devices: patients, edits, sessions, documents. */
async function landHistory(rounds: number): Promise<void> {
  const devices = [device(), device(), device()];
  const patients: Op[] = [];
  for (let r = 0; r < rounds; r++) {
    for (const [i, dev] of devices.entries()) {
      const ops: Op[] = [];
      for (let k = 0; k < 60; k++) {
        const p = patient();
        patients.push(p);
        ops.push(p, session(p.patient_id), session(p.patient_id), document(p.patient_id));
      }
      // edits of patients other devices created
      for (const p of patients.slice(-150 - i * 7, -100)) ops.push({ ...p, op_id: uuidv7(), payload: { ...p.payload, phone: `+49 ${r}${i}` } });
      await land(t, dev, ops);
    }
  }
}

const build = () => settle(t);

test('incremental batches, a rerun, and a full refresh all give the same warehouse', async () => {
  await landHistory(1);
  await build();
  await landHistory(1);
  await build();
  const incremental = await layerChecksums(t);
  assert.ok(Number(incremental['warehouse.fact_transactions']!.split(':')[0]) > 500);
  await build();
  assert.deepEqual(await layerChecksums(t), incremental, 'a rerun changes nothing');
  await settle(t, { fullRefresh: true });
  assert.deepEqual(await layerChecksums(t), incremental, 'a full rebuild equals the incremental build');
});

test('SIGKILL in the middle of a build, then a rerun: identical to an uninterrupted build', async () => {
  await landHistory(3);
  const t0 = Date.now();
  await build();
  const duration = Date.now() - t0;
  const expected = await layerChecksums(t);

  const env = clusterSettingsEnv(testHome(), t.name);
  let interrupted = 0;
  for (const fraction of [0.05, 0.2, 0.4]) {
    const child = startNexus(['etl', 'run', '--full-refresh'], env);
    const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
    // Wait for the rebuild to have emptied the tables, then kill it part-way through.
    await waitFor('the full refresh to start', async () => {
      const [r] = await t.query<{ n: number }>('admin', 'SELECT count(*)::int AS n FROM warehouse.fact_transactions');
      return r!.n === 0 ? true : undefined;
    });
    await new Promise((r) => setTimeout(r, Math.round(duration * fraction)));
    child.kill('SIGKILL');
    const code = await exited;
    assert.ok(code === null || code === 0, `killed, or finished first (output: ${child.output()})`);
    if (code === null && JSON.stringify(await layerChecksums(t)) !== JSON.stringify(expected)) interrupted += 1;
    await build();
    assert.deepEqual(await layerChecksums(t), expected, `after a kill at ${Math.round(fraction * 100)}%`);
  }
  assert.ok(interrupted >= 1, 'at least one kill left a half-built warehouse behind');
});
