// The warehouse build end to end on real staging rows: conformed columns,
// SCD2 history, late and out-of-order data, quarantine, soft conflicts,
// and the pull feed.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { testDatabase } from '../helpers/db.ts';
import { device, document, land, patient, session } from '../helpers/field-data.ts';
import { settle } from '../helpers/etl.ts';
import { uuidv7 } from '../../src/protocol/index.ts';

const t = await testDatabase();
const ok = () => settle(t);

test('a first build conforms patients, sessions and documents', async () => {
  const a = device();
  const p = patient();
  const s = session(p.patient_id);
  await land(t, a, [p, s, document(p.patient_id)]);
  await ok();
  const [e] = await t.query<Record<string, unknown>>('admin', `SELECT * FROM warehouse.dim_entity WHERE patient_id = $1`, [p.patient_id]);
  assert.equal(e!.is_current, true);
  assert.equal(e!.first_name, p.payload.first_name);
  assert.equal(e!.site, p.payload.site);
  assert.equal(e!.care_level, p.payload.care_level);
  const [f] = await t.query<Record<string, unknown>>('admin', `SELECT * FROM warehouse.fact_transactions WHERE session_id = $1`, [s.entity_id]);
  assert.equal(f!.entity_key, e!.entity_key);
  assert.equal(f!.session_type, s.payload.type);
  assert.equal(Number(f!.duration_minutes), 32);
  assert.equal(Number(f!.pulse_bpm), (s.payload.measurements as { pulse_bpm: number }).pulse_bpm);
  assert.ok(f!.date_key, 'session dated in the calendar');
  const events = await t.query('admin', `SELECT event_type, file_sha256 FROM warehouse.fact_events WHERE patient_id = $1`, [p.patient_id]);
  assert.deepEqual(events, [{ event_type: 'document', file_sha256: 'a'.repeat(64) }]);
  const changes = await t.query<{ entity: string }>('admin', `SELECT entity FROM mart_field.changes WHERE patient_id = $1 ORDER BY change_id`, [p.patient_id]);
  assert.deepEqual(changes.map((c) => c.entity), ['patient', 'session', 'document']);
  const [src] = await t.query('admin', `SELECT source_name, source_kind FROM warehouse.dim_source`);
  assert.deepEqual(src, { source_name: 'field', source_kind: 'field' });
});

test('SCD2: a new row only when content changes; history kept; one current row', async () => {
  const a = device();
  const p = patient();
  await land(t, a, [p]);
  await ok();
  await land(t, a, [{ ...p, op_id: uuidv7(), payload: { ...p.payload, site: 'south', care_level: 3 } }]);
  await ok();
  await land(t, a, [{ ...p, op_id: uuidv7(), payload: { ...p.payload, site: 'south', care_level: 3 } }]); // same content again
  await ok();
  const rows = await t.query<{ site: string; is_current: boolean; valid_to: Date | null }>(
    'admin', `SELECT site, is_current, valid_to FROM warehouse.dim_entity WHERE patient_id = $1 ORDER BY valid_from`, [p.patient_id]);
  assert.deepEqual(rows.map((r) => [r.site, r.is_current, r.valid_to === null]), [[p.payload.site, false, false], ['south', true, true]]);
});

test('a session that arrives before its patient is kept and bound when the patient comes', async () => {
  const a = device();
  const pid = uuidv7();
  const s = session(pid);
  await land(t, a, [s]);
  await ok();
  const [early] = await t.query<{ entity_key: string | null }>('admin', `SELECT entity_key FROM warehouse.fact_transactions WHERE session_id = $1`, [s.entity_id]);
  assert.equal(early!.entity_key, null);
  await land(t, a, [patient(pid)]);
  await ok();
  const [later] = await t.query<{ entity_key: string | null }>('admin', `SELECT entity_key FROM warehouse.fact_transactions WHERE session_id = $1`, [s.entity_id]);
  assert.ok(later!.entity_key, 'bound to the patient');
});

test('two devices edit one patient: arrival order wins, both versions kept, the stale edit is a soft conflict', async () => {
  const a = device();
  const b = device();
  const p = patient();
  const [v1] = await land(t, a, [p]);
  await ok();
  const [v2] = await land(t, a, [{ ...p, op_id: uuidv7(), base_version: v1, payload: { ...p.payload, phone: '+49 1' } }]);
  // b still bases its edit on v1: it arrives later, so it wins, and it is a soft conflict.
  const [v3] = await land(t, b, [{ ...p, op_id: uuidv7(), base_version: v1, payload: { ...p.payload, phone: '+49 2' } }]);
  await ok();
  const [cur] = await t.query<{ version: string; phone: string }>('admin', `SELECT version, payload->>'phone' AS phone FROM warehouse.dim_entity WHERE patient_id = $1 AND is_current`, [p.patient_id]);
  assert.deepEqual([Number(cur!.version), cur!.phone], [v3, '+49 2']);
  const versions = await t.query<{ version: string }>('admin', `SELECT version FROM mart_field.changes WHERE entity_id = $1 ORDER BY version`, [p.patient_id]);
  assert.deepEqual(versions.map((r) => Number(r.version)), [v1, v2, v3]);
  const conflicts = await t.query<{ version: string; superseded_version: string; superseded_device_id: string }>(
    'admin', `SELECT version, superseded_version, superseded_device_id FROM warehouse.fact_conflicts WHERE entity_id = $1`, [p.patient_id]);
  assert.deepEqual(conflicts.map((c) => [Number(c.version), Number(c.superseded_version), c.superseded_device_id]), [[v3, v2, a.id]]);
});

test('rows that fail validation go to quarantine with the reason, and nothing else is lost', async () => {
  const a = device();
  const p = patient(undefined, { birth_date: '14.03.1948' });
  const good = patient();
  const s = session(good.patient_id, undefined, { started_at: 'yesterday' });
  const s2 = session(good.patient_id, undefined, { started_at: '2026-11-20T14:00:00Z', ended_at: '2026-11-20T13:00:00Z' });
  const [vp, , vs, vs2] = await land(t, a, [p, good, s, s2]);
  await ok();
  const q = await t.query<{ staging_ingest_id: string; reason_code: string; reason: string }>(
    'admin', `SELECT staging_ingest_id, reason_code, reason FROM warehouse.quarantine WHERE staging_ingest_id = ANY($1) ORDER BY staging_ingest_id`, [[vp, vs, vs2]]);
  assert.deepEqual(q.map((r) => [Number(r.staging_ingest_id), r.reason_code]), [[vp, 'invalid_birth_date'], [vs, 'invalid_started_at'], [vs2, 'ended_before_started']]);
  assert.match(q[0]!.reason, /14\.03\.1948/);
  assert.deepEqual(await t.query('admin', `SELECT 1 FROM warehouse.dim_entity WHERE patient_id = $1`, [p.patient_id]), []);
  assert.equal((await t.query('admin', `SELECT 1 FROM warehouse.dim_entity WHERE patient_id = $1`, [good.patient_id])).length, 1);
});

test('unknown fields are kept in the payload, never rejected', async () => {
  const a = device();
  const p = patient(undefined, { favourite_colour: 'teal', app_version: '9.0.0' });
  await land(t, a, [p]);
  await ok();
  const [row] = await t.query<{ c: string }>('admin', `SELECT payload->>'favourite_colour' AS c FROM warehouse.dim_entity WHERE patient_id = $1`, [p.patient_id]);
  assert.equal(row!.c, 'teal');
  const [dev] = await t.query<{ app_version: string }>('admin', `SELECT app_version FROM warehouse.dim_device WHERE device_id = $1 AND is_current`, [a.id]);
  assert.equal(dev!.app_version, '9.0.0');
});
