// Who may download a file (SYNC_PROTOCOL §3): a device allowed to see a
// record that refers to it. A record refers to a file when it is an applied
// document/image op whose payload names the sha256; a device may see it when
// the op's patient has an applied op from a device sharing one of its groups
// (or from the device itself, so a device can always fetch what it sent).
// Everyone else gets the same 404 as for a file that does not exist.

import type pg from 'pg';

export interface DeviceRef {
  deviceId: string;
  groups: readonly string[];
}

// The predicates on f repeat those of the partial index sync_inbound_file_sha256.
const VISIBLE = `
SELECT EXISTS (
  SELECT 1
    FROM staging.sync_inbound f
   WHERE f.entity IN ('document', 'image')
     AND (f.raw -> 'payload' ->> 'sha256') = $1
     AND f.status = 'applied'
     AND f.patient_id IS NOT NULL
     AND EXISTS (
       SELECT 1
         FROM staging.sync_inbound p
        WHERE p.patient_id = f.patient_id
          AND p.status = 'applied'
          AND (p.device_groups && $2::text[] OR p.device_id = $3::uuid))
) AS visible`;

export async function canSeeFile(pool: pg.Pool, sha256: string, device: DeviceRef): Promise<boolean> {
  const { rows } = await pool.query<{ visible: boolean }>(VISIBLE, [sha256, [...device.groups], device.deviceId]);
  return rows[0]?.visible === true;
}
