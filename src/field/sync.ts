// The sync engine's entry points: enrol a new device folder, open one, and
// run a sync (push the outbox, pull, refresh parameters). Every sync step
// runs inside the device's exclusive section, so local edits made meanwhile
// wait rather than interleave with a pull.

import { Api, type Endpoints } from './api.ts';
import type { RetryPolicy } from './backoff.ts';
import { FieldDevice } from './device.ts';
import { FieldError, isFieldError } from './errors.ts';
import type { FieldFs } from './fs.ts';
import type { HttpClient } from './http.ts';
import { DEADLETTER, DEVICE_FILE, OUTBOX, PATIENTS, SECRET_FILE } from './layout.ts';
import { refreshParameters } from './parameters.ts';
import { emptyPullStats, pullChanges, type PullStats } from './pull.ts';
import { emptyPushStats, pushOutbox, type PushOptions, type PushStats } from './push.ts';
import { newDeviceState, readConfig, readSecret, writeConfig, writeDeviceState, writeSecret, type FieldConfig } from './state.ts';
import { readJson } from './fs.ts';

export interface InitOptions {
  enrollmentCode: string;
  deviceName?: string;
  config: FieldConfig;
}

export interface OpenOptions {
  retry?: RetryPolicy;
  /** Leave the index-against-folders check to the caller (FieldDevice.open, reconcileIndex). */
  reconcileLater?: boolean;
}

export interface FieldClient {
  device: FieldDevice;
  api: Api;
  config: FieldConfig;
}

const endpointsOf = (c: FieldConfig): Endpoints => ({ guardianUrl: c.guardian_url, syncUrl: c.sync_url });

/** A string claim of a JWT's payload, read without verifying (the device's own token, for its own records). */
function tokenClaim(jwt: string, claim: string): string | null {
  try {
    // atob, not Buffer: this library also runs in the browser (the field web app).
    const bin = atob((jwt.split('.')[1] ?? '').replace(/-/g, '+').replace(/_/g, '/'));
    const v = (JSON.parse(new TextDecoder().decode(Uint8Array.from(bin, (c) => c.charCodeAt(0)))) as Record<string, unknown>)[claim];
    return typeof v === 'string' ? v : null;
  } catch {
    return null;
  }
}

/**
 * Enrols with Guardian and lays out a new device folder. The secret is
 * written first (0600) and device.json last: device.json is what makes the
 * folder "initialised", so a crash in between is finished by the next init
 * from the saved secret instead of spending a second enrolment code.
 */
export async function initDevice(fs: FieldFs, http: HttpClient, opts: InitOptions & OpenOptions): Promise<FieldClient> {
  if (await fs.stat(DEVICE_FILE)) throw new FieldError('already_initialised', 'this folder already holds an enrolled device');
  const api = new Api(http, endpointsOf(opts.config), opts.retry);
  const saved = await readJson<{ device_id: string; device_secret: string }>(fs, SECRET_FILE);
  let deviceId: string;
  let wgIp: string | null;
  if (saved) {
    // secret.json holds nothing but the secret; the address is a claim of the token.
    api.credentials = saved;
    deviceId = saved.device_id;
    wgIp = tokenClaim(await api.accessToken(), 'wg_ip');
  } else {
    const enrolled = await api.enroll(opts.enrollmentCode, opts.deviceName);
    await writeSecret(fs, { device_id: enrolled.device_id, device_secret: enrolled.device_secret });
    deviceId = enrolled.device_id;
    wgIp = enrolled.wg_ip;
  }
  await writeConfig(fs, opts.config);
  for (const dir of [OUTBOX, DEADLETTER, PATIENTS]) await fs.mkdir(dir);
  await writeDeviceState(fs, newDeviceState(deviceId, opts.deviceName ?? null, wgIp));
  return openDevice(fs, http, opts);
}

/** Opens an initialised folder (running recovery) with credentials for the API. */
export async function openDevice(fs: FieldFs, http: HttpClient, opts: OpenOptions = {}): Promise<FieldClient> {
  const config = await readConfig(fs);
  const device = await FieldDevice.open(fs, { reconcileLater: opts.reconcileLater });
  const api = new Api(http, endpointsOf(config), opts.retry);
  api.credentials = await readSecret(fs);
  return { device, api, config };
}

export interface SyncOptions extends PushOptions {
  pullLimit?: number;
  /** Push only (the simulator's "offline for pulls" mode; tests). */
  pull?: boolean;
}

export interface SyncReport {
  push: PushStats;
  pull: PullStats;
  parametersUpdated: boolean;
}

export function sync(client: FieldClient, opts: SyncOptions = {}): Promise<SyncReport> {
  const { device, api } = client;
  return device.exclusive(async () => {
    const report: SyncReport = { push: emptyPushStats(), pull: emptyPullStats(), parametersUpdated: false };
    try {
      await device.guard(async () => {
        await pushOutbox(device, api, opts, report.push);
        if (opts.pull !== false) {
          await pullChanges(device, api, opts.pullLimit ? { limit: opts.pullLimit } : {}, report.pull);
          if (report.pull.parametersVersion !== device.state.parameters_version) report.parametersUpdated = await refreshParameters(device, api);
        }
        device.state.last_sync_at = new Date().toISOString();
        device.state.last_sync_error = null;
        await device.saveState();
      });
      return report;
    } catch (err) {
      device.state.last_sync_error = {
        code: isFieldError(err) ? err.code : 'internal_error',
        message: (err as Error).message,
        at: new Date().toISOString(),
      };
      await device.saveState().catch(() => undefined);
      throw err;
    }
  });
}
