// The device registry: $NEXUS_HOME/guardian/registry.json. The gate has no
// database, so this file is the store. It is replaced atomically on every
// change, so copying it to the standby gate (rsync, scp) while Guardian runs
// always copies a whole, valid registry. Changes go through updateRegistry,
// which holds the cross-process lock for the read-modify-write.

import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { writeFileAtomic } from '../core/files.ts';
import { withLock } from '../core/lock.ts';
import { CachedJsonFile, readJsonFile } from './json-file.ts';
import type { SecretHash } from './secrets.ts';

export const REGISTRY_FORMAT = 1;

export type DeviceStatus = 'pending' | 'active' | 'revoked';

export interface DeviceRecord {
  device_id: string;
  /** Unique, chosen by the administrator. */
  name: string;
  groups: string[];
  wg_ip: string;
  status: DeviceStatus;
  /** Slow hash of the device secret; set at enrolment. */
  secret: SecretHash | null;
  enrollment: {
    /** SHA-256 (hex) of the one-time code; the code itself is never stored. */
    code_sha256: string;
    expires_at: string;
    used: boolean;
  };
  created_at: string;
  enrolled_at: string | null;
  revoked_at: string | null;
  /** The name the device gave itself at enrolment (informational). */
  reported_name: string | null;
  /** The device's WireGuard public key (given, or made at `device add`; the private key is never stored). */
  wg_public_key: string | null;
  /** Set by `nexus peer release`: the address is free again (revoked devices only). */
  released_at?: string | null;
}

/** A VPN peer that is not a field device: servers and dev machines (no enrolment, no tokens). */
export type PeerRole = 'server' | 'dev';
export type PeerStatus = 'active' | 'revoked';

export interface PeerRecord {
  peer_id: string;
  /** Unique across devices and peers (it becomes a DNS name). */
  name: string;
  role: PeerRole;
  wg_ip: string;
  wg_public_key: string;
  status: PeerStatus;
  created_at: string;
  revoked_at: string | null;
  released_at: string | null;
}

export interface Registry {
  format: number;
  devices: DeviceRecord[];
  /** Servers and dev machines; absent in registries written before the gate managed them. */
  peers?: PeerRecord[];
}

export function guardianDir(home: string): string {
  return path.join(home, 'guardian');
}

export function registryPath(home: string): string {
  return path.join(guardianDir(home), 'registry.json');
}

/** One lock for all of Guardian's files: changes are rare and tiny. */
export function lockPath(home: string): string {
  return path.join(guardianDir(home), '.lock');
}

export function withGuardianLock<T>(home: string, fn: () => Promise<T> | T): Promise<T> {
  mkdirSync(guardianDir(home), { recursive: true, mode: 0o700 });
  return withLock(lockPath(home), fn);
}

function isRegistry(v: unknown): v is Registry {
  const r = v as Registry;
  return typeof r === 'object' && r !== null && r.format === REGISTRY_FORMAT && Array.isArray(r.devices);
}

export function readRegistry(home: string): Registry {
  return readJsonFile<Registry>(registryPath(home), () => ({ format: REGISTRY_FORMAT, devices: [] }), isRegistry);
}

export function writeRegistry(home: string, registry: Registry): void {
  // 0600: the secret hashes are slow to attack, but nobody else needs them.
  writeFileAtomic(registryPath(home), JSON.stringify(registry, null, 2) + '\n', 0o600);
}

/**
 * Read, change, write under the lock. `change` mutates the registry it is
 * given and returns a result; throwing leaves the file untouched.
 */
export async function updateRegistry<T>(home: string, change: (registry: Registry) => T | Promise<T>): Promise<T> {
  return withGuardianLock(home, async () => {
    const registry = readRegistry(home);
    const result = await change(registry);
    writeRegistry(home, registry);
    return result;
  });
}

/** The registry as the server sees it: re-read whenever the file changes. */
export function registryView(home: string): CachedJsonFile<Registry> {
  return new CachedJsonFile(registryPath(home), () => readRegistry(home));
}
