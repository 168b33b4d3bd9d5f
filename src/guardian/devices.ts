// Administering devices: register (address + one-time code), list, revoke.
// Called by the CLI (`nexus device …`) and by other components' tests.

import { randomUUID } from 'node:crypto';
import { NexusError, usageError } from '../core/errors.ts';
import { ADDRESS_POOLS, allocateAddress, takenAddresses, type AddressPool } from './pool.ts';
import { enrollmentCodeHash, newEnrollmentCode } from './secrets.ts';
import { readRegistry, updateRegistry, type DeviceRecord, type DeviceStatus, type Registry } from './store.ts';

export const DEFAULT_GROUP = 'default';
// Names end up in WireGuard configs, file names and DNS names on the gate.
const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;

/** What may be shown about a device: everything but hashes. */
export interface DeviceSummary {
  device_id: string;
  name: string;
  groups: string[];
  wg_ip: string;
  status: DeviceStatus;
  created_at: string;
  enrolled_at: string | null;
  revoked_at: string | null;
  enrollment_expires_at: string | null;
  reported_name: string | null;
}

export function summarize(d: DeviceRecord): DeviceSummary {
  return {
    device_id: d.device_id,
    name: d.name,
    groups: [...d.groups],
    wg_ip: d.wg_ip,
    status: d.status,
    created_at: d.created_at,
    enrolled_at: d.enrolled_at,
    revoked_at: d.revoked_at,
    enrollment_expires_at: d.enrollment.used ? null : d.enrollment.expires_at,
    reported_name: d.reported_name,
  };
}

export interface AddDeviceOptions {
  name: string;
  groups?: string[];
  /** Lifetime of the enrolment code (the NEXUS_ENROLLMENT_TTL_HOURS setting). */
  enrollmentTtlHours: number;
  pool?: AddressPool;
  /** The device's WireGuard public key (base64 of 32 bytes); the caller checks it. */
  wgPublicKey?: string | null;
  now?: Date;
}

export interface AddedDevice {
  device: DeviceSummary;
  /** Shown once; Guardian keeps only its hash. */
  enrollmentCode: string;
}

export function checkName(kind: string, value: string): string {
  if (!NAME.test(value)) {
    throw usageError(`invalid_${kind}_name`, `${kind} name "${value}" is not valid; use 1–63 letters, digits, '.', '_' or '-', starting with a letter or digit.`);
  }
  return value;
}

function byName(registry: Registry, name: string): DeviceRecord | undefined {
  const key = name.toLowerCase();
  return registry.devices.find((d) => d.name.toLowerCase() === key);
}

/** Device and peer names share one namespace: each becomes a DNS name on the gate. */
export function nameTaken(registry: Registry, name: string): boolean {
  const key = name.toLowerCase();
  return !!byName(registry, name) || (registry.peers ?? []).some((p) => p.name.toLowerCase() === key);
}

export async function addDevice(home: string, opts: AddDeviceOptions): Promise<AddedDevice> {
  const name = checkName('device', opts.name);
  const groups = [...new Set((opts.groups?.length ? opts.groups : [DEFAULT_GROUP]).map((g) => checkName('group', g)))];
  const now = opts.now ?? new Date();
  const enrollmentCode = newEnrollmentCode();
  const device = await updateRegistry(home, (registry) => {
    if (nameTaken(registry, name)) {
      throw usageError('device_exists', `A device or peer named "${name}" already exists (names are unique, also after revocation).`);
    }
    const record: DeviceRecord = {
      device_id: randomUUID(),
      name,
      groups,
      wg_ip: allocateAddress(takenAddresses(registry), opts.pool ?? ADDRESS_POOLS.field),
      status: 'pending',
      secret: null,
      enrollment: {
        code_sha256: enrollmentCodeHash(enrollmentCode),
        expires_at: new Date(now.getTime() + opts.enrollmentTtlHours * 3_600_000).toISOString(),
        used: false,
      },
      created_at: now.toISOString(),
      enrolled_at: null,
      revoked_at: null,
      reported_name: null,
      wg_public_key: opts.wgPublicKey ?? null,
      released_at: null,
    };
    registry.devices.push(record);
    return record;
  });
  return { device: summarize(device), enrollmentCode };
}

export function listDevices(home: string): DeviceSummary[] {
  return readRegistry(home).devices.map(summarize);
}

/** Finds a device by name (any case) or device_id. */
export function findDevice(registry: Registry, nameOrId: string): DeviceRecord | undefined {
  return registry.devices.find((d) => d.device_id === nameOrId) ?? byName(registry, nameOrId);
}

/**
 * Revokes a device: no new tokens, and it appears on the revocation list the
 * sync API polls. Revoking twice is harmless and keeps the first time.
 */
export async function revokeDevice(home: string, nameOrId: string, now = new Date()): Promise<{ device: DeviceSummary; alreadyRevoked: boolean }> {
  return updateRegistry(home, (registry) => {
    const d = findDevice(registry, nameOrId);
    if (!d) throw new NexusError('device_not_found', `No device named "${nameOrId}"; \`nexus device list\` shows them.`, { status: 404 });
    const alreadyRevoked = d.status === 'revoked';
    if (!alreadyRevoked) {
      d.status = 'revoked';
      d.revoked_at = now.toISOString();
      d.enrollment.used = true; // an unused code dies with the device
    }
    return { device: summarize(d), alreadyRevoked };
  });
}

export interface RevocationList {
  revoked: Array<{ device_id: string; revoked_at: string }>;
  as_of: string;
}

export function revocationList(registry: Registry, now = new Date()): RevocationList {
  return {
    revoked: registry.devices
      .filter((d) => d.status === 'revoked')
      .map((d) => ({ device_id: d.device_id, revoked_at: d.revoked_at ?? d.created_at })),
    as_of: now.toISOString(),
  };
}
