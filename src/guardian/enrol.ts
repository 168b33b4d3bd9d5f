// What a device does with Guardian (SYNC_PROTOCOL.md §1): trade its one-time
// enrolment code for a device secret (and, optionally, a client
// certificate), then trade the secret for access tokens.

import { NexusError } from '../core/errors.ts';
import type { EnrollRequest, EnrollResponse } from '../protocol/index.ts';
import { enrollmentCodeHash, hashSecret, newDeviceSecret, sameHash, verifySecret } from './secrets.ts';
import { readRegistry, updateRegistry, type DeviceRecord, type Registry } from './store.ts';

export interface EnrolDeps {
  /** Signs the device's CSR with the internal CA (src/tls signDeviceCsr). */
  signCsr?: (csrPem: string, deviceId: string) => Promise<string> | string;
  now?: Date;
}

function invalidCode(): NexusError {
  // One answer for unknown, used and expired: a guesser learns nothing.
  return new NexusError('invalid_enrollment_code', 'The enrolment code is unknown, already used or expired; ask an administrator for a new device registration.', {
    status: 400,
  });
}

/** The device this code enrols, if the code is still good. Scans every device so timing does not depend on where it matches. */
function deviceForCode(registry: Registry, codeHash: string, now: Date): DeviceRecord | undefined {
  let found: DeviceRecord | undefined;
  for (const d of registry.devices) {
    if (sameHash(d.enrollment.code_sha256, codeHash) && !found) found = d;
  }
  if (!found) return undefined;
  const usable = !found.enrollment.used && found.status === 'pending' && Date.parse(found.enrollment.expires_at) > now.getTime();
  return usable ? found : undefined;
}

export async function enrolDevice(home: string, req: EnrollRequest, deps: EnrolDeps = {}): Promise<EnrollResponse> {
  const now = deps.now ?? new Date();
  const codeHash = enrollmentCodeHash(req.enrollment_code);
  const candidate = deviceForCode(readRegistry(home), codeHash, now);
  if (!candidate) throw invalidCode();
  // A bad CSR fails here, before the code is spent, so the device can retry.
  if (req.csr !== undefined && !deps.signCsr) {
    throw new NexusError('client_certificates_unavailable', 'This Guardian cannot sign certificates (no internal CA).', { status: 400 });
  }
  const clientCertificate = req.csr !== undefined ? await deps.signCsr!(req.csr, candidate.device_id) : undefined;
  const secret = newDeviceSecret();
  const secretHash = await hashSecret(secret); // slow: outside the lock
  const device = await updateRegistry(home, (registry) => {
    // Re-check under the lock: of two racing enrolments with one code, one wins.
    const d = deviceForCode(registry, codeHash, now);
    if (!d || d.device_id !== candidate.device_id) throw invalidCode();
    d.enrollment.used = true;
    d.status = 'active';
    d.secret = secretHash;
    d.enrolled_at = now.toISOString();
    d.reported_name = req.device_name ?? null;
    return d;
  });
  return {
    device_id: device.device_id,
    device_secret: secret,
    wg_ip: device.wg_ip,
    ...(clientCertificate ? { client_certificate: clientCertificate } : {}),
  };
}

/** The active device these credentials belong to; anything else is `401 invalid_client`. */
export async function authenticateDevice(registry: Registry, deviceId: string, secret: string): Promise<DeviceRecord> {
  const d = registry.devices.find((x) => x.device_id === deviceId);
  // Always pay for one scrypt, so unknown, pending and revoked devices answer as slowly as wrong secrets.
  const ok = await verifySecret(secret, d?.secret ?? null);
  if (!d || !ok || d.status !== 'active') {
    throw new NexusError('invalid_client', 'Unknown device, wrong secret, or revoked device.', { status: 401 });
  }
  return d;
}
