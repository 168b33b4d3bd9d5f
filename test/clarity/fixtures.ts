// A small field history for Clarity's tests: three devices in two groups,
// patients, sessions spread over November 2026, documents, a rejected
// patient (quarantine), a soft conflict, push/pull log rows and alert
// thresholds; then a complete ETL build.

import type { TestDb } from '../helpers/db.ts';
import { device, document, land, patient, session, type Op } from '../helpers/field-data.ts';
import { settle } from '../helpers/etl.ts';
import { uuidv7 } from '../../src/protocol/index.ts';

export async function landFieldHistory(t: TestDb, rounds = 1): Promise<{ devices: string[] }> {
  await t.query('nexus_owner', `INSERT INTO nexus.parameters (key, value) VALUES ('alerts.thresholds', $1)
    ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value`, [JSON.stringify({ pulse_bpm: [50, 100], systolic_mmhg: [90, 160], spo2_pct: [92, 100] })]);
  const devices = [device(['north']), device(['north']), device(['south'])];
  const shared: Op[] = [];
  for (let r = 0; r < rounds; r++) {
    for (const [i, dev] of devices.entries()) {
      const ops: Op[] = [];
      for (let k = 0; k < 12 + i * 4; k++) {
        const p = patient();
        shared.push(p);
        const status = k % 5 === 0 ? 'cancelled' : k % 7 === 0 ? 'planned' : 'completed';
        ops.push(p, session(p.patient_id), session(p.patient_id, undefined, { status }), document(p.patient_id));
        if (k % 3 === 0) ops.push({ ...document(p.patient_id, 'b'.repeat(64)), entity: 'image' });
      }
      if (i === 2) ops.push(patient(uuidv7(), { birth_date: '1950-13-45' })); // quarantined
      await land(t, dev, ops);
      await t.query('nexus_owner', `INSERT INTO nexus.sync_requests (request_id, direction, device_id, requested_at, http_status, op_count, applied_count, rejected_count, last_seq)
        VALUES (gen_random_uuid(), 'push', $1, $2, 200, $3, $3, $4, $5), (gen_random_uuid(), 'pull', $1, $2, 200, 0, 0, 0, NULL)`,
        [dev.id, new Date(Date.UTC(2026, 10, 10 + i, 9)), ops.length, i === 2 ? 1 : 0, dev.seq]);
    }
  }
  // Device 1 edits a patient device 0 created, on a stale base: a soft conflict.
  const victim = shared[0]!;
  await land(t, devices[0]!, [{ ...victim, op_id: uuidv7(), payload: { ...victim.payload, phone: '+49 1' } }]);
  await land(t, devices[1]!, [{ ...victim, op_id: uuidv7(), base_version: 1, payload: { ...victim.payload, phone: '+49 2' } }]);
  await settle(t);
  return { devices: devices.map((d) => d.id) };
}
