// Data tests run inside each model's transaction: an error-level failure
// rolls the model back, skips everything downstream, and shows in
// `nexus etl status`; fixing the data lets the next run through.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { testDatabase, testHome } from '../helpers/db.ts';
import { device, land, patient } from '../helpers/field-data.ts';
import { nexus } from '../helpers/cli.ts';
import { clusterSettingsEnv } from '../helpers/cluster-env.ts';
import { runModels } from '../../src/etl/runner.ts';
import { settle } from '../helpers/etl.ts';
import { uuidv7 } from '../../src/protocol/index.ts';

const t = await testDatabase();

test('a failed error-level test stops downstream models and is reported', async () => {
  const a = device();
  const p = patient();
  await land(t, a, [p]);
  await land(t, a, [{ ...p, op_id: uuidv7(), payload: { ...p.payload, site: 'south' } }]);
  await settle(t);

  // Someone breaks the history by hand: the closed row no longer meets its successor.
  const [closed] = await t.query<{ valid_to: string }>('admin', `SELECT valid_to::text FROM warehouse.dim_entity WHERE patient_id = $1 AND NOT is_current`, [p.patient_id]);
  await t.query('nexus_owner', `UPDATE warehouse.dim_entity SET valid_to = valid_from + (valid_to - valid_from) / 2 WHERE patient_id = $1 AND NOT is_current`, [p.patient_id]);
  await land(t, a, [{ ...p, op_id: uuidv7(), payload: { ...p.payload, site: 'clinic' } }]);
  // Passes until the new op is inside a window (other test files may hold the bound back).
  let res = await runModels(t.db);
  for (let i = 0; i < 100 && !res.some((r) => r.status === 'test_failed'); i++) res = await runModels(t.db);
  const status = Object.fromEntries(res.map((r) => [r.model, r.status]));
  assert.equal(status.dim_entity, 'test_failed');
  for (const downstream of ['fct_transactions', 'fct_events', 'mart_field_patients', 'mart_field_changes']) assert.equal(status[downstream], 'skipped', downstream);
  assert.equal(status.dim_device, 'ok', 'independent models still run');
  const [current] = await t.query<{ site: string }>('admin', `SELECT site FROM warehouse.dim_entity WHERE patient_id = $1 AND is_current`, [p.patient_id]);
  assert.equal(current!.site, 'south', 'the failing model was rolled back');

  const cli = await nexus(['etl', 'status', '--json'], clusterSettingsEnv(testHome(), t.name));
  assert.equal(cli.code, 0, cli.stderr);
  const dim = (JSON.parse(cli.stdout) as Array<{ model: string; last_status: string; backlog_rows: number; test_failures: Array<{ test: string }> }>).find((m) => m.model === 'dim_entity')!;
  assert.equal(dim.last_status, 'test_failed');
  assert.equal(dim.test_failures[0]!.test, 'dim_entity_scd2');
  assert.equal(dim.backlog_rows, 1, 'the op waits in staging');

  await t.query('nexus_owner', `UPDATE warehouse.dim_entity SET valid_to = $2::timestamptz WHERE patient_id = $1 AND NOT is_current`, [p.patient_id, closed!.valid_to]);
  await settle(t);
  const [fixed] = await t.query<{ site: string }>('admin', `SELECT site FROM warehouse.dim_entity WHERE patient_id = $1 AND is_current`, [p.patient_id]);
  assert.equal(fixed!.site, 'clinic');
});

test('nexus etl run reports each model and exits non-zero when one fails', async () => {
  const env = clusterSettingsEnv(testHome(), t.name);
  const ok = await nexus(['etl', 'run'], env);
  assert.equal(ok.code, 0, ok.stderr);
  assert.match(ok.stdout, /^ok\s+dim_entity\s+\d+ rows/m);
  const unknown = await nexus(['etl', 'run', 'dim_nothing'], env);
  assert.notEqual(unknown.code, 0);
  assert.match(unknown.stderr, /unknown ETL model\(s\): dim_nothing/);
});
