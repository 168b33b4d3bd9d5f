// The device-wide files: device.json (identity and sync position),
// secret.json (the device secret, mode 0600, nothing else in it),
// config.json (server endpoints), parameters.json, tombstones.json.

import { readJson, writeJson, type FieldFs } from './fs.ts';
import { CONFIG_FILE, DEVICE_FILE, PARAMETERS_FILE, SECRET_FILE, TOMBSTONES_FILE } from './layout.ts';
import { FieldError } from './errors.ts';

export interface DeviceState {
  device_id: string;
  device_name: string | null;
  wg_ip: string | null;
  /** The server's highest accepted seq, as last answered by push or pull. */
  last_seq: number;
  /** The seq the next local edit gets (recovery raises it past every op on disk). */
  next_seq: number;
  pull_cursor: string | null;
  parameters_version: number | null;
  /** Highest server version this device has seen, in a push answer or a pull. */
  max_version_seen: number;
  enrolled_at: string;
  last_push_at: string | null;
  last_pull_at: string | null;
  last_sync_at: string | null;
  last_sync_error: { code: string; message: string; at: string } | null;
}

export interface FieldConfig {
  guardian_url: string;
  sync_url: string;
  /** Path of the internal CA certificate on this machine (read by the composition root, not the library). */
  ca_file: string | null;
}

export interface Secret {
  device_id: string;
  device_secret: string;
}

export interface Parameters {
  version: number;
  parameters: Record<string, unknown>;
  fetched_at: string;
}

export interface Tombstone {
  patient_id: string;
  deleted_at: string;
}

async function must<T>(fs: FieldFs, path: string): Promise<T> {
  const v = await readJson<T>(fs, path);
  if (v === null) throw new FieldError('not_initialised', `${path} is missing: run \`nexus field init\` for this folder first`);
  return v;
}

export const readDeviceState = (fs: FieldFs): Promise<DeviceState> => must<DeviceState>(fs, DEVICE_FILE);
export const writeDeviceState = (fs: FieldFs, s: DeviceState): Promise<void> => writeJson(fs, DEVICE_FILE, s);
export const readConfig = (fs: FieldFs): Promise<FieldConfig> => must<FieldConfig>(fs, CONFIG_FILE);
export const writeConfig = (fs: FieldFs, c: FieldConfig): Promise<void> => writeJson(fs, CONFIG_FILE, c);
export const readSecret = (fs: FieldFs): Promise<Secret> => must<Secret>(fs, SECRET_FILE);
export const writeSecret = (fs: FieldFs, s: Secret): Promise<void> => writeJson(fs, SECRET_FILE, s, { mode: 0o600 });
export const readParameters = (fs: FieldFs): Promise<Parameters | null> => readJson<Parameters>(fs, PARAMETERS_FILE);
export const writeParameters = (fs: FieldFs, p: Parameters): Promise<void> => writeJson(fs, PARAMETERS_FILE, p);

export async function readTombstones(fs: FieldFs): Promise<Tombstone[]> {
  return (await readJson<Tombstone[]>(fs, TOMBSTONES_FILE)) ?? [];
}
export const writeTombstones = (fs: FieldFs, t: Tombstone[]): Promise<void> => writeJson(fs, TOMBSTONES_FILE, t);

export function newDeviceState(deviceId: string, name: string | null, wgIp: string | null): DeviceState {
  return {
    device_id: deviceId, device_name: name, wg_ip: wgIp, last_seq: 0, next_seq: 1, pull_cursor: null,
    parameters_version: null, max_version_seen: 0, enrolled_at: new Date().toISOString(),
    last_push_at: null, last_pull_at: null, last_sync_at: null, last_sync_error: null,
  };
}
