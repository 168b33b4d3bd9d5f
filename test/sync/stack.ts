// A real stack for sync tests: the file's own migrated database, a Guardian
// and a sync server over HTTPS on ephemeral ports, sharing a temp NEXUS_HOME
// (TLS material, Guardian's registry and keys, the file store).

import { after } from 'node:test';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import https from 'node:https';
import { randomUUID } from 'node:crypto';
import { loadSettings, type Settings } from '../../src/core/settings.ts';
import { createLogger } from '../../src/core/log.ts';
import { startGuardianServer, addDevice, type GuardianServer } from '../../src/guardian/index.ts';
import { startSyncServer, type SyncServer } from '../../src/sync/service.ts';
import { caCertPath } from '../../src/tls/index.ts';
import { payloadSha256 } from '../../src/protocol/index.ts';
import { testDatabase, testHome, type TestDb } from '../helpers/db.ts';
import { sendHttps, type Reply } from '../helpers/https.ts';

export type { Reply };

export interface Stack {
  t: TestDb;
  home: string;
  settings: Settings;
  guardian: GuardianServer;
  sync: SyncServer;
  ca: Buffer;
  agent: https.Agent;
}


export function stackSettings(home: string, dbName: string, extra: Record<string, string> = {}): Settings {
  return loadSettings({
    NEXUS_HOME: home,
    NEXUS_DB_NAME: dbName,
    NEXUS_LOG_LEVEL: 'error',
    NEXUS_REVOCATION_POLL_SECONDS: '1',
    NEXUS_GUARDIAN_RATE_LIMIT: '100000',
    NEXUS_FILES_DIR: path.join(home, 'files'),
    ...extra,
  }, home);
}

export async function startStack(extra: Record<string, string> = {}): Promise<Stack> {
  const t = await testDatabase();
  const home = mkdtempSync(path.join(os.tmpdir(), 'nexus-sync-'));
  // The database secrets of the run's cluster, so settings of this home reach it.
  const settings = stackSettings(home, t.name, extra);
  const log = createLogger(settings.logLevel);
  const guardian = await startGuardianServer({ settings, log, port: 0 });
  const sync = await startSyncServer({ settings, log, db: t.db, guardianUrl: guardian.url, port: 0 });
  const ca = readFileSync(caCertPath(home));
  const agent = new https.Agent({ ca, keepAlive: true, maxSockets: 32 });
  after(async () => {
    agent.destroy();
    await sync.close();
    await guardian.close();
    rmSync(home, { recursive: true, force: true });
  });
  return { t, home, settings, guardian, sync, ca, agent };
}

export function request(s: Pick<Stack, 'agent'>, base: string, method: string, urlPath: string, opts: { headers?: Record<string, string>; body?: string | Buffer; json?: unknown } = {}): Promise<Reply> {
  const body = opts.json !== undefined ? JSON.stringify(opts.json) : opts.body;
  const headers: Record<string, string> = { ...(opts.json !== undefined ? { 'content-type': 'application/json' } : {}), ...opts.headers };
  if (body !== undefined) headers['content-length'] ??= String(Buffer.byteLength(body));
  return sendHttps(new URL(urlPath, base), { method, headers, agent: s.agent }, body);
}

export interface Device {
  deviceId: string;
  secret: string;
  wgIp: string;
  name: string;
  token: string;
}

export async function enrolDevice(s: Stack, opts: { name?: string; groups?: string[] } = {}): Promise<Device> {
  const name = opts.name ?? `dev-${randomUUID().slice(0, 8)}`;
  const added = await addDevice(s.home, { name, ...(opts.groups ? { groups: opts.groups } : {}), enrollmentTtlHours: 24 });
  const enrol = await request(s, s.guardian.url, 'POST', '/guardian/v1/enroll', { json: { enrollment_code: added.enrollmentCode } });
  if (enrol.status !== 201) throw new Error(`enrol failed: ${enrol.status} ${enrol.text}`);
  const device: Device = { deviceId: enrol.json.device_id, secret: enrol.json.device_secret, wgIp: enrol.json.wg_ip, name, token: '' };
  device.token = await fetchToken(s, device);
  return device;
}

export async function fetchToken(s: Stack, d: Pick<Device, 'deviceId' | 'secret'>): Promise<string> {
  const tok = await request(s, s.guardian.url, 'POST', '/guardian/v1/token', { json: { device_id: d.deviceId, device_secret: d.secret } });
  if (tok.status !== 200) throw new Error(`token failed: ${tok.status} ${tok.text}`);
  return tok.json.access_token as string;
}

export function auth(token: string): Record<string, string> {
  return { authorization: `Bearer ${token}` };
}

export function push(s: Stack, d: Pick<Device, 'token'>, ops: unknown[]): Promise<Reply> {
  return request(s, s.sync.url, 'POST', '/v1/sync/push', { headers: auth(d.token), json: { ops } });
}

const PATIENT = '0192f1d2-0000-7000-8000-000000000001';

/** A valid op for `seq`; `over` replaces fields (payload_sha256 follows payload unless given). */
export function makeOp(seq: number, over: Record<string, unknown> = {}): Record<string, unknown> {
  const entity = (over.entity as string) ?? 'session';
  const payload = (over.payload as Record<string, unknown>) ?? { session_id: randomUUID(), patient_id: PATIENT, type: 'home_visit', n: seq };
  const op: Record<string, unknown> = {
    op_id: randomUUID(),
    seq,
    entity,
    patient_id: PATIENT,
    entity_id: entity === 'patient' ? PATIENT : randomUUID(),
    schema_version: 1,
    base_version: null,
    recorded_at: '2026-11-26T08:00:00.000Z',
    payload,
    payload_sha256: payloadSha256(payload),
    ...over,
  };
  return op;
}

export function ops(from: number, count: number): Array<Record<string, unknown>> {
  return Array.from({ length: count }, (_, i) => makeOp(from + i));
}

export async function countRows(s: Stack, deviceId: string): Promise<number> {
  const rows = await s.t.query<{ n: number }>('admin', 'SELECT count(*)::int AS n FROM staging.sync_inbound WHERE device_id = $1', [deviceId]);
  return rows[0]!.n;
}

export { testHome };
