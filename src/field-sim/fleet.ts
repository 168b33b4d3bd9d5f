// The fleet: N enrolled device folders in one process, each working through
// its share of a seeded workload (create patients, add sessions, edit
// patients — also ones created on other devices —, attach files, now and
// then delete a patient locally), going offline and coming back, and
// syncing. Afterwards everyone comes online and syncs until the fleet is
// quiet, and check.ts verifies the server's and the devices' side.

import path from 'node:path';
import { mkdirSync } from 'node:fs';
import type { DbAccess } from '../db/connection.ts';
import { addDevice } from '../guardian/index.ts';
import { runModels } from '../etl/runner.ts';
import {
  addPatient, addSession, attach, deletePatient, editPatient, initDevice, isFieldError, sync, type FieldClient, type HttpClient, type PushStats, type PullStats,
} from '../field/index.ts';
import { nodeFs } from '../field/node.ts';
import type { PushOp } from '../protocol/index.ts';
import { attachmentBytes, patientData, patientEdit, rng, sessionData, type Rng } from './data.ts';
import { checkFleet, type CheckReport } from './check.ts';

export interface SimOptions {
  devices: number;
  patients: number;
  sessions: number;
  attachments: number;
  /** Share of devices offline in any round (0–1). */
  offlineRatio: number;
  durationSeconds: number;
  seed: number;
  /** Where the device folders go. */
  workDir: string;
  /** Largest attachment in bytes (default 64 KiB). */
  maxAttachmentBytes?: number;
  /** Share of patients deleted locally on one device (default 0.02). */
  deleteRatio?: number;
  /** How long the check waits for the ETL to bring every op into the warehouse (default 60 s). */
  warehouseWaitMs?: number;
}

export interface SimDeps {
  home: string;
  db: DbAccess;
  http: HttpClient;
  guardianUrl: string;
  syncUrl: string;
  caFile: string | null;
  progress?: (p: Progress) => void;
}

export interface Progress {
  phase: 'enrol' | 'work' | 'converge' | 'check';
  done: number;
  total: number;
  opsPerSecond: number;
  etaSeconds: number | null;
  online: number;
  errors: number;
}

export interface SimReport {
  elapsedSeconds: number;
  ops: number;
  opsPerSecond: number;
  bytesSent: number;
  bytesReceived: number;
  filesUploaded: number;
  conflicts: number;
  deadLetters: number;
  errors: number;
  errorSamples: string[];
  rounds: number;
  check: CheckReport;
}

interface SimDevice {
  client: FieldClient;
  r: Rng;
  known: string[];
  online: boolean;
  ops: PushOp[];
}

type Action = 'patient' | 'session' | 'edit' | 'attach' | 'delete';

function plan(o: SimOptions, r: Rng): Action[] {
  const n = (k: number, a: Action) => Array.from({ length: k }, () => a);
  const edits = Math.ceil(o.patients / 2);
  const deletes = Math.floor(o.patients * (o.deleteRatio ?? 0.02));
  const rest = [...n(o.sessions, 'session'), ...n(edits, 'edit'), ...n(o.attachments, 'attach'), ...n(deletes, 'delete')];
  for (let i = rest.length - 1; i > 0; i--) {
    const j = Math.floor(r() * (i + 1));
    [rest[i], rest[j]] = [rest[j]!, rest[i]!];
  }
  // Patients come first in each device's share (interleaved with the rest), so the others have someone to refer to.
  const out: Action[] = [];
  const p = n(o.patients, 'patient' as Action);
  while (p.length || rest.length) {
    if (p.length && (r() < 0.5 || !rest.length)) out.push(p.pop()!);
    else if (rest.length) out.push(rest.pop()!);
  }
  return out;
}

async function act(d: SimDevice, a: Action, maxBytes: number, fleetPatients: string[]): Promise<void> {
  const dev = d.client.device;
  const live = d.known.filter((id) => !dev.isTombstoned(id));
  if (a === 'patient' || live.length === 0) {
    d.known.push(await addPatient(dev, patientData(d.r)));
    fleetPatients.push(d.known[d.known.length - 1]!);
    return;
  }
  const target = live[Math.floor(d.r() * live.length)]!;
  if (a === 'session') await addSession(dev, target, sessionData(d.r));
  else if (a === 'attach') await attach(dev, target, attachmentBytes(d.r, maxBytes));
  else if (a === 'delete') await deletePatient(dev, target);
  else {
    // Edit a patient — the shared pool makes several devices edit the same one.
    const shared = fleetPatients.filter((id) => live.includes(id));
    const id = shared.length && d.r() < 0.7 ? shared[Math.floor(d.r() * shared.length)]! : target;
    await editPatient(dev, id, patientEdit(d.r)).catch(async (err) => {
      if (isFieldError(err) && err.code === 'patient_not_found') return addSession(dev, target, sessionData(d.r));
      throw err;
    });
  }
}

/** Patients this device holds on disk (its own and pulled ones). */
async function learn(d: SimDevice): Promise<void> {
  const ids = await d.client.device.fs.list('patients');
  const seen = new Set(d.known);
  for (const id of ids) if (!seen.has(id) && !id.startsWith('.')) d.known.push(id);
}

async function pool<T>(items: T[], limit: number, fn: (x: T) => Promise<void>): Promise<void> {
  let i = 0;
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (i < items.length) await fn(items[i++]!);
  }));
}

export async function simulate(o: SimOptions, deps: SimDeps): Promise<SimReport> {
  const started = Date.now();
  const r = rng(o.seed);
  const runId = `${Date.now().toString(36)}`;
  const errors: string[] = [];
  let errorCount = 0;
  const push: PushStats[] = [];
  const pull: PullStats[] = [];
  const report = (phase: Progress['phase'], done: number, total: number, opsDone: number, online: number) => {
    const secs = (Date.now() - started) / 1000;
    const rate = opsDone / Math.max(secs, 0.001);
    deps.progress?.({ phase, done, total, opsPerSecond: rate, etaSeconds: done > 0 ? ((total - done) * secs) / done : null, online, errors: errorCount });
  };
  const fail = (what: string, err: unknown) => {
    errorCount++;
    if (errors.length < 10) errors.push(`${what}: ${isFieldError(err) ? `${err.code}: ${err.message}` : String(err)}`);
  };

  // Enrol.
  mkdirSync(o.workDir, { recursive: true });
  const devices: SimDevice[] = [];
  for (let i = 0; i < o.devices; i++) {
    const name = `sim-${runId}-${i}`;
    const { enrollmentCode } = await addDevice(deps.home, { name, enrollmentTtlHours: 1 });
    const client = await initDevice(nodeFs(path.join(o.workDir, name)), deps.http, {
      enrollmentCode,
      deviceName: name,
      config: { guardian_url: deps.guardianUrl, sync_url: deps.syncUrl, ca_file: deps.caFile },
      retry: { attempts: 6, baseMs: 100, capMs: 3000 },
    });
    const d: SimDevice = { client, r: rng(o.seed * 1000 + i), known: [], online: true, ops: [] };
    client.device.onRecord = (op) => d.ops.push(op);
    devices.push(d);
    report('enrol', i + 1, o.devices, 0, 0);
  }
  const opsDone = () => devices.reduce((n, d) => n + d.ops.length, 0);
  const syncOne = async (d: SimDevice) => {
    try {
      const rep = await sync(d.client);
      push.push(rep.push);
      pull.push(rep.pull);
      await learn(d);
    } catch (err) {
      fail(`sync ${d.client.device.state.device_name}`, err);
    }
  };

  // ETL in the background: the pull feed is built from the warehouse.
  let running = true;
  const etlLoop = (async () => {
    while (running) {
      await runModels(deps.db).catch((err: unknown) => fail('etl', err));
      await new Promise((res) => setTimeout(res, 500));
    }
  })();

  // Work in rounds spread over the duration.
  const actions = plan(o, r);
  const roundMs = 1000;
  const rounds = Math.max(1, Math.floor((o.durationSeconds * 1000 * 0.8) / roundMs));
  const per = Math.ceil(actions.length / rounds);
  const fleetPatients: string[] = [];
  let done = 0;
  let round = 0;
  for (; done < actions.length; round++) {
    const t0 = Date.now();
    const slice = actions.slice(done, done + per);
    for (const d of devices) d.online = r() >= o.offlineRatio;
    const byDevice = devices.map((_, i) => slice.filter((__, j) => (j + round) % devices.length === i));
    await pool(devices.map((d, i) => ({ d, mine: byDevice[i]! })), 16, async ({ d, mine }) => {
      for (const a of mine) await act(d, a, o.maxAttachmentBytes ?? 64 * 1024, fleetPatients).catch((err) => fail(`edit (${a})`, err));
      if (d.online) await syncOne(d);
    });
    done += slice.length;
    report('work', done, actions.length, opsDone(), devices.filter((d) => d.online).length);
    const wait = roundMs - (Date.now() - t0);
    if (wait > 0) await new Promise((res) => setTimeout(res, wait));
  }

  // Converge: everyone online, sync until no outbox is left and pulls bring nothing new.
  for (const d of devices) d.online = true;
  for (let pass = 0; pass < 30; pass++) {
    const before = pull.length;
    await pool(devices, 16, syncOne);
    const applied = pull.slice(before).reduce((n, p) => n + p.applied, 0);
    const pending = devices.reduce((n, d) => n + d.client.device.pending.size, 0);
    report('converge', pass + 1, 30, opsDone(), devices.length);
    if (pass >= 2 && applied === 0 && pending === 0) break;
    await new Promise((res) => setTimeout(res, 1500));
  }
  running = false;
  await etlLoop;

  report('check', 0, 1, opsDone(), devices.length);
  const check = await checkFleet(deps.db, devices.map((d) => ({ device: d.client.device, ops: d.ops })), o.warehouseWaitMs === undefined ? {} : { warehouseWaitMs: o.warehouseWaitMs });
  const elapsed = (Date.now() - started) / 1000;
  const sum = <T>(xs: T[], f: (x: T) => number) => xs.reduce((n, x) => n + f(x), 0);
  return {
    elapsedSeconds: elapsed,
    ops: opsDone(),
    opsPerSecond: opsDone() / elapsed,
    bytesSent: sum(devices, (d) => d.client.api.stats.bytesSent),
    bytesReceived: sum(devices, (d) => d.client.api.stats.bytesReceived),
    filesUploaded: sum(push, (p) => p.uploaded),
    conflicts: sum(pull, (p) => p.conflicts),
    deadLetters: sum(push, (p) => p.rejected + p.uploadFailures),
    errors: errorCount,
    errorSamples: errors,
    rounds: round,
    check,
  };
}
