// The fleet: N enrolled device folders in one process, each working through
// its share of a seeded workload (create patients, add sessions, edit
// patients — also ones created on other devices —, attach files, now and
// then delete a patient locally), going offline and coming back, and
// syncing. Afterwards everyone comes online and syncs until the fleet is
// quiet, and check.ts verifies the server's and the devices' side.

import { mkdirSync } from 'node:fs';
import type { DbAccess } from '../db/connection.ts';
import { runModels } from '../etl/runner.ts';
import {
  addPatient, addSession, attach, deletePatient, editPatient, isFieldError, sync, type FieldClient, type HttpClient, type PushStats, type PullStats,
} from '../field/index.ts';
import { attachmentBytes, patientData, patientEdit, rng, sessionData, type Rng } from './data.ts';
import { checkFleet, feedCaughtUp, type CheckReport } from './check.ts';
import { enrolFleet, retireFleet } from './enrol.ts';
import { LatencyProbe, type LatencySummary } from './latency.ts';
import { plan, type Action } from './plan.ts';

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
  /** Teams: device i joins group i mod `groups` and sees only its team's patients (default 1: everyone sees everything). */
  groups?: number;
  /** Devices working or syncing at the same moment (default 16). */
  concurrency?: number;
  /** Run the ETL in this process (default true); off when the platform's own ETL service runs (`nexus up`). */
  runEtl?: boolean;
  /** Keep the devices enrolled after the run (default: revoke them and release their addresses). */
  keepDevices?: boolean;
  /** Largest attachment in bytes (default 64 KiB). */
  maxAttachmentBytes?: number;
  /** Share of patients deleted locally on one device (default 0.02). */
  deleteRatio?: number;
  /** How long the check waits for the ETL to bring every op into the warehouse (default 60 s). */
  warehouseWaitMs?: number;
  /** How long the fleet may take to converge after the work (default 600 s). */
  convergeTimeoutSeconds?: number;
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
  /** Seconds of the work and converge phases (enrolment and the check excluded). */
  syncSeconds: number;
  ops: number;
  /** Ops per second of the work and converge phases: created, pushed, in the feed and pulled by the others. */
  opsPerSecond: number;
  bytesSent: number;
  bytesReceived: number;
  filesUploaded: number;
  changesPulled: number;
  conflicts: number;
  deadLetters: number;
  errors: number;
  errorSamples: string[];
  rounds: number;
  latency: LatencySummary;
  check: CheckReport;
}

interface SimDevice {
  client: FieldClient;
  groups: string[];
  r: Rng;
  known: string[];
  knownSet: Set<string>;
  own: Set<string>;
  online: boolean;
  opIds: string[];
}

async function act(d: SimDevice, a: Action, maxBytes: number): Promise<void> {
  const dev = d.client.device;
  const pickLive = (): string | undefined => {
    for (let k = 0; k < 8 && d.known.length; k++) {
      const id = d.known[Math.floor(d.r() * d.known.length)]!;
      if (!dev.isTombstoned(id)) return id;
    }
    return d.known.find((id) => !dev.isTombstoned(id));
  };
  const target = a === 'patient' ? undefined : pickLive();
  if (!target) {
    const id = await addPatient(dev, patientData(d.r));
    d.known.push(id);
    d.knownSet.add(id);
    d.own.add(id);
    return;
  }
  if (a === 'session') await addSession(dev, target, sessionData(d.r));
  else if (a === 'attach') await attach(dev, target, attachmentBytes(d.r, maxBytes));
  else if (a === 'delete') await deletePatient(dev, target);
  else {
    // Edit a patient; 70 % of edits go to one another device created, so several devices edit the same patient.
    let id = target;
    if (d.r() < 0.7) {
      for (let k = 0; k < 8; k++) {
        const c = d.known[Math.floor(d.r() * d.known.length)]!;
        if (!d.own.has(c) && !dev.isTombstoned(c)) {
          id = c;
          break;
        }
      }
    }
    await editPatient(dev, id, patientEdit(d.r)).catch(async (err) => {
      if (isFieldError(err) && err.code === 'patient_not_found') return addSession(dev, target, sessionData(d.r));
      throw err;
    });
  }
}

/** Patients this device holds on disk (its own and pulled ones). */
async function learn(d: SimDevice): Promise<void> {
  for (const id of await d.client.device.fs.list('patients')) {
    if (!d.knownSet.has(id) && !id.startsWith('.')) d.known.push(id), d.knownSet.add(id);
  }
}

async function pool<T>(items: T[], limit: number, fn: (x: T) => Promise<void>): Promise<void> {
  let i = 0;
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (i < items.length) await fn(items[i++]!);
  }));
}

const sleep = (ms: number) => new Promise((res) => setTimeout(res, ms));

export async function simulate(o: SimOptions, deps: SimDeps): Promise<SimReport> {
  const started = Date.now();
  const r = rng(o.seed);
  const runId = `${Date.now().toString(36)}`;
  const concurrency = o.concurrency ?? 16;
  const groupCount = Math.max(1, Math.min(o.groups ?? 1, o.devices));
  const errors: string[] = [];
  let errorCount = 0;
  const push: PushStats[] = [];
  const pull: PullStats[] = [];
  let phaseStart = started;
  let opsAtPhaseStart = 0;
  const report = (phase: Progress['phase'], done: number, total: number, opsDone: number, online: number) => {
    const secs = (Date.now() - phaseStart) / 1000;
    const rate = (opsDone - opsAtPhaseStart) / Math.max(secs, 0.001);
    deps.progress?.({ phase, done, total, opsPerSecond: rate, etaSeconds: done > 0 ? ((total - done) * secs) / done : null, online, errors: errorCount });
  };
  const fail = (what: string, err: unknown) => {
    errorCount++;
    if (errors.length < 10) errors.push(`${what}: ${isFieldError(err) ? `${err.code}: ${err.message}` : String(err)}`);
  };

  // Enrol. Simulated devices get groups of their own (sim-<run>-g<k>): they never see real patients, nor real devices theirs.
  mkdirSync(o.workDir, { recursive: true });
  const probe = new LatencyProbe();
  const http = probe.wrap(deps.http);
  const names = Array.from({ length: o.devices }, (_, i) => ({ name: `sim-${runId}-${i}`, groups: [`sim-${runId}-g${i % groupCount}`] }));
  const clients = await enrolFleet({
    home: deps.home, http, guardianUrl: deps.guardianUrl, syncUrl: deps.syncUrl, caFile: deps.caFile, workDir: o.workDir, names,
    retry: { attempts: 8, baseMs: 100, capMs: 3000 }, concurrency: Math.min(concurrency, 8),
    onEnrolled: (n) => report('enrol', n, o.devices, 0, 0),
  });
  const devices: SimDevice[] = clients.map((client, i) => {
    const d: SimDevice = { client, groups: names[i]!.groups, r: rng(o.seed * 1000 + i), known: [], knownSet: new Set(), own: new Set(), online: true, opIds: [] };
    client.device.onRecord = (op) => d.opIds.push(op.op_id);
    return d;
  });
  try {
    const opsDone = () => devices.reduce((n, d) => n + d.opIds.length, 0);
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

    // ETL in the background when the platform does not run its own: the pull feed is built from the warehouse.
    let running = o.runEtl ?? true;
    const etlLoop = (async () => {
      while (running) {
        await runModels(deps.db).catch((err: unknown) => fail('etl', err));
        await sleep(500);
      }
    })();

    // Work in rounds spread over the duration.
    const syncStarted = Date.now();
    phaseStart = syncStarted;
    const actions = plan(o, r);
    const roundMs = 1000;
    const rounds = Math.max(1, Math.floor((o.durationSeconds * 1000 * 0.8) / roundMs));
    const per = Math.ceil(actions.length / rounds);
    let done = 0;
    let round = 0;
    for (; done < actions.length; round++) {
      const t0 = Date.now();
      const slice = actions.slice(done, done + per);
      for (const d of devices) d.online = r() >= o.offlineRatio;
      const byDevice: Action[][] = devices.map(() => []);
      slice.forEach((a, j) => byDevice[(j + round) % devices.length]!.push(a));
      await pool(devices.map((d, i) => ({ d, mine: byDevice[i]! })), concurrency, async ({ d, mine }) => {
        for (const a of mine) await act(d, a, o.maxAttachmentBytes ?? 64 * 1024).catch((err) => fail(`edit (${a})`, err));
        if (d.online) await syncOne(d);
      });
      done += slice.length;
      report('work', done, actions.length, opsDone(), devices.filter((d) => d.online).length);
      const wait = roundMs - (Date.now() - t0);
      if (wait > 0) await sleep(wait);
    }

    // Converge: everyone online, syncing, until the pull feed holds every op
    // pushed and a whole pass ran after that with nothing left to push.
    for (const d of devices) d.online = true;
    const ids = devices.map((d) => d.client.device.state.device_id);
    const pendingOps = () => devices.reduce((n, d) => n + d.client.device.pending.size, 0);
    const convergeEnd = Date.now() + (o.convergeTimeoutSeconds ?? 600) * 1000;
    for (let pass = 1; ; pass++) {
      const settled = pendingOps() === 0 && (await feedCaughtUp(deps.db, ids));
      await pool(devices, concurrency, syncOne);
      report('converge', pass, pass + (settled ? 0 : 1), opsDone(), devices.length);
      if (settled || Date.now() > convergeEnd) break;
      await sleep(1000);
    }
    const syncSeconds = (Date.now() - syncStarted) / 1000;
    running = false;
    await etlLoop;

    report('check', 0, 1, opsDone(), devices.length);
    const check = await checkFleet(deps.db, devices.map((d) => ({ device: d.client.device, groups: d.groups, opIds: d.opIds })), o.warehouseWaitMs === undefined ? {} : { warehouseWaitMs: o.warehouseWaitMs });
    const elapsed = (Date.now() - started) / 1000;
    const sum = <T>(xs: T[], f: (x: T) => number) => xs.reduce((n, x) => n + f(x), 0);
    return {
      elapsedSeconds: elapsed,
      syncSeconds,
      ops: opsDone(),
      opsPerSecond: opsDone() / syncSeconds,
      bytesSent: sum(devices, (d) => d.client.api.stats.bytesSent),
      bytesReceived: sum(devices, (d) => d.client.api.stats.bytesReceived),
      filesUploaded: sum(push, (p) => p.uploaded),
      changesPulled: sum(pull, (p) => p.changes),
      conflicts: sum(pull, (p) => p.conflicts),
      deadLetters: sum(push, (p) => p.rejected + p.uploadFailures),
      errors: errorCount,
      errorSamples: errors,
      rounds: round,
      latency: probe.summary(),
      check,
    };
  } finally {
    if (!o.keepDevices) await retireFleet(deps.home, names.map((n) => n.name));
  }
}
