// npm run bench:fleet — a fleet of simulated devices against a real
// `nexus up` (the whole platform on its embedded database, in a throwaway
// NEXUS_HOME, as its own process): end-to-end ops/s, push→pull latency
// between devices, the platform's and the clients' memory. The floor, in the
// same run: raw COPY of as many staging rows into the platform's database
// (what the server's disk allows), and for reference the durable (fsync'd,
// atomic) writes/s where the device folders live.
//
// Device folders go to tmpfs (/dev/shm) by default: every real iPad has its
// own flash, while 200 simulated ones on one shared disk would measure that
// disk's fsync rate (every op costs two durable writes on its device and
// one on each team mate that pulls it), not the platform. --device-dir
// puts them elsewhere.
//
//   npm run bench:fleet [-- --devices 200 --patients 20000 --sessions 100000
//     --attachments 2000 --groups 20 --offline-ratio 0.2 --duration 900
//     --concurrency 16 --runs 1 --device-dir /dev/shm --keep --dry-run]
//
// --keep leaves the throwaway home; --dry-run records nothing (a smoke test).
//
// Smaller runs: pass smaller numbers; the results section says which scale ran.

import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import copyStreams from 'pg-copy-streams';
import { payloadSha256, uuidv7 } from '../src/protocol/index.ts';
import { chmodSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { loadSettings } from '../src/core/settings.ts';
import { openDatabase } from '../src/db/connection.ts';
import { freePort } from '../src/db/cluster.ts';
import { nodeFs, nodeHttp } from '../src/field/node.ts';
import { simulate, type SimReport } from '../src/field-sim/fleet.ts';
import { enrolFleet, retireFleet } from '../src/field-sim/enrol.ts';
import { LatencyProbe, type LatencySummary } from '../src/field-sim/latency.ts';
import { sessionData, rng } from '../src/field-sim/data.ts';
import { addPatient, addSession, sync } from '../src/field/index.ts';
import { formatProgress, formatReport } from '../src/field-sim/report.ts';
import { barChart, median, recordResults } from './lib.ts';

const FULL = { devices: 200, patients: 20_000, sessions: 100_000, attachments: 2_000 };
const { values: a } = parseArgs({
  options: {
    devices: { type: 'string' }, patients: { type: 'string' }, sessions: { type: 'string' }, attachments: { type: 'string' },
    groups: { type: 'string' }, 'offline-ratio': { type: 'string' }, duration: { type: 'string' }, concurrency: { type: 'string' },
    runs: { type: 'string' }, seed: { type: 'string' }, keep: { type: 'boolean' }, 'device-dir': { type: 'string' }, 'dry-run': { type: 'boolean' },
  },
});
function num(name: keyof typeof a, dflt: number, min = 0, max = 1e9): number {
  const raw = a[name];
  if (raw === undefined) return dflt;
  const n = Number(raw);
  if (typeof raw !== 'string' || !Number.isFinite(n) || n < min || n > max) {
    process.stderr.write(`--${name} must be a number from ${min} to ${max}\n`);
    process.exit(2);
  }
  return n;
}
const o = {
  devices: num('devices', FULL.devices, 1, 10_000),
  patients: num('patients', FULL.patients, 1),
  sessions: num('sessions', FULL.sessions),
  attachments: num('attachments', FULL.attachments),
  offlineRatio: num('offline-ratio', 0.2, 0, 0.95),
  concurrency: num('concurrency', 16, 1, 256),
  runs: num('runs', 1, 1, 9),
  seed: num('seed', 1, 0, 2 ** 31),
};
// Teams of ten devices by default: with one group each of 200 iPads would
// hold all 20,000 patients (a device sees the patients of its groups).
const groups = num('groups', Math.max(1, Math.round(o.devices / 10)), 1, o.devices);
// The work is spread over rounds of at least a second (80 % of `duration`);
// by default each device does about five edits between two syncs.
const actionsTotal = o.patients * 1.5 + o.sessions + o.attachments;
const duration = num('duration', Math.max(10, Math.ceil(actionsTotal / (o.devices * 5) / 0.8)), 1, 86_400);
const fullScale = o.devices >= FULL.devices && o.patients >= FULL.patients && o.sessions >= FULL.sessions && o.attachments >= FULL.attachments;

const log = (s: string) => process.stderr.write(s + '\n');
const loadAvg = () => os.loadavg().map((x) => x.toFixed(2)).join(' / ');
const loadBefore = loadAvg();

// ---- the platform, as its own process ----------------------------------
const tmp = mkdtempSync(path.join(os.tmpdir(), 'nexus-fleet-'));
chmodSync(tmp, 0o711);
const home = path.join(tmp, 'home');
const deviceRoot = mkdtempSync(path.join(a['device-dir'] ?? (existsSync('/dev/shm') ? '/dev/shm' : tmp), 'nexus-fleet-devices-'));
const ports = { guardian: await freePort(), sync: await freePort(), health: await freePort(), clarity: await freePort() };
const env: Record<string, string> = {
  NEXUS_HOME: home,
  NEXUS_LOG_LEVEL: 'warn',
  NEXUS_GUARDIAN_RATE_LIMIT: '1000000',
  NEXUS_GUARDIAN_PORT: String(ports.guardian),
  NEXUS_SYNC_PORT: String(ports.sync),
  NEXUS_HEALTH_PORT: String(ports.health),
  NEXUS_CLARITY_PORT: String(ports.clarity),
  NEXUS_CHECK_SOURCE_ADDRESS: 'false',
};
log(`fleet bench: ${o.devices} devices (${groups} teams), ${o.patients} patients, ${o.sessions} sessions, ${o.attachments} attachments over ${duration}s; platform in ${home}`);
const up = spawn(process.execPath, ['bin/nexus.js', 'up'], { env: { PATH: process.env.PATH ?? '', HOME: os.homedir(), ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
let upOutput = '';
up.stderr!.on('data', (d: Buffer) => void (upOutput = (upOutput + d.toString()).slice(-20_000)));
let upExited = false;
const upDone = new Promise<void>((res) => up.on('exit', () => ((upExited = true), res())));

async function stopPlatform(): Promise<void> {
  if (!upExited) {
    up.kill('SIGTERM');
    const t = setTimeout(() => up.kill('SIGKILL'), 60_000);
    await upDone;
    clearTimeout(t);
  }
  if (!a.keep) rmSync(tmp, { recursive: true, force: true });
  else log(`kept ${tmp}`);
}

// Ctrl-C (or a kill) stops the platform and removes the throwaway home, rather than orphaning them.
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.once(sig, () => {
    log(`${sig}: stopping the platform`);
    rmSync(deviceRoot, { recursive: true, force: true });
    void stopPlatform().finally(() => process.exit(130));
  });
}

const endpointsFile = path.join(home, 'endpoints.json');
for (const end = Date.now() + 300_000; !existsSync(endpointsFile); ) {
  if (upExited || Date.now() > end) {
    log(`nexus up did not come up:\n${upOutput}`);
    await stopPlatform();
    process.exit(1);
  }
  await new Promise((r) => setTimeout(r, 250));
}
const ep = JSON.parse(readFileSync(endpointsFile, 'utf8')) as Record<string, string>;
const settings = loadSettings(env, home);
const { db } = await openDatabase(settings, { start: false });

// ---- memory: the platform process, its PostgreSQL, this process (the clients) ----
const kb = (file: string, field: string): number => Number(new RegExp(`${field}:\\s+(\\d+)`).exec(readFileSync(file, 'utf8'))?.[1] ?? 0);
/** PostgreSQL of this home (the postmaster named in postmaster.pid, and its children): Pss, so shared buffers count once. */
let pidFile: string | undefined;
function postgresPssMb(): number {
  pidFile ??= readdirSync(home, { recursive: true, encoding: 'utf8' }).find((f) => f.endsWith('postmaster.pid'));
  const master = pidFile ? Number(readFileSync(path.join(home, pidFile), 'utf8').split('\n')[0]) : 0;
  if (!master) return 0;
  let sum = 0;
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      const ppid = Number(readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /s, '').split(' ')[1]);
      if (Number(pid) === master || ppid === master) sum += kb(`/proc/${pid}/smaps_rollup`, 'Pss');
    } catch {
      // the process ended meanwhile
    }
  }
  return sum / 1024;
}
const mem = { serverMb: 0, serverPeakMb: 0, pgMb: 0, clientRssMb: 0, clientHeapMb: 0 };
const sampler = setInterval(() => {
  try {
    mem.serverPeakMb = kb(`/proc/${up.pid}/status`, 'VmHWM') / 1024;
    mem.serverMb = Math.max(mem.serverMb, kb(`/proc/${up.pid}/status`, 'VmRSS') / 1024);
  } catch {
    // the platform stopped
  }
  mem.pgMb = Math.max(mem.pgMb, postgresPssMb());
  const m = process.memoryUsage();
  mem.clientRssMb = Math.max(mem.clientRssMb, m.rss / 1048576);
  mem.clientHeapMb = Math.max(mem.clientHeapMb, m.heapUsed / 1048576);
}, 1000);

// ---- the floors ----------------------------------------------------------------
/** Durable atomic writes/s in `dir`, 16 at a time (what each op costs on a device). */
async function durableWritesPerSecond(dir: string, n = 400): Promise<number> {
  const fs = nodeFs(dir);
  const body = JSON.stringify({ notes: 'x'.repeat(600) });
  let i = 0;
  const t0 = performance.now();
  await Promise.all(Array.from({ length: o.concurrency }, async () => {
    while (i < n) await fs.writeAtomic(`floor/${i++ % 64}/f${i}.json`, body);
  }));
  const rate = n / ((performance.now() - t0) / 1000);
  await fs.remove('floor');
  return rate;
}

/** Raw COPY of `n` session-shaped ops into staging.sync_inbound as the sync role, in one transaction: the database's write floor. */
async function copyRowsPerSecond(n: number): Promise<number> {
  const device = randomUUID();
  const request = randomUUID();
  const patient = uuidv7();
  const q = (v: string) => `"${v.replace(/"/g, '""')}"`;
  const lines = Array.from({ length: n }, (_, i) => {
    const payload = { type: 'home_visit', status: 'completed', notes: 'simulated visit', measurements: { pulse_bpm: 60 + (i % 40) }, clinician: 'nurse-01', app_version: 'floor' };
    const op = { op_id: uuidv7(), seq: i + 1, entity: 'session', patient_id: patient, entity_id: uuidv7(), schema_version: 1, base_version: null, recorded_at: new Date().toISOString(), payload, payload_sha256: payloadSha256(payload) };
    return [request, device, '{floor}', op.seq, op.op_id, op.payload_sha256, 'applied', op.entity, op.patient_id, op.entity_id, 1, '', op.recorded_at, q(JSON.stringify(op))].join(',') + '\n';
  });
  const client = await db.pool('nexus_sync').connect();
  const t0 = performance.now();
  try {
    await client.query('BEGIN');
    await pipeline(Readable.from(lines), client.query(copyStreams.from('COPY staging.sync_inbound (request_id, device_id, device_groups, seq, op_id, payload_sha256, status, entity, patient_id, entity_id, schema_version, base_version, recorded_at, raw) FROM STDIN WITH (FORMAT csv)')));
    await client.query('COMMIT');
  } finally {
    client.release();
  }
  return n / ((performance.now() - t0) / 1000);
}

/**
 * The platform's own push→pull latency under the fleet's load, without the
 * simulator's sync cadence: a pair of devices in a group of their own; A
 * adds a session and pushes every two seconds, B pulls every 250 ms.
 */
async function probePair(stop: () => boolean): Promise<LatencySummary> {
  const probe = new LatencyProbe();
  const tag = `probe-${Date.now().toString(36)}`;
  const names = [{ name: `${tag}-a`, groups: [tag] }, { name: `${tag}-b`, groups: [tag] }];
  const r = rng(7);
  const wait = (ms: number) => new Promise((res) => setTimeout(res, ms));
  try {
    const [a, b] = await enrolFleet({
      home, http: probe.wrap(http), guardianUrl: ep.guardian!, syncUrl: ep.sync!, caFile: ep.ca ?? null, workDir: deviceRoot, names,
      retry: { attempts: 8, baseMs: 100, capMs: 2000 }, concurrency: 2,
    });
    const patient = await addPatient(a!.device, { first_name: 'Probe' });
    await sync(a!, { pull: false });
    while (!stop()) {
      await addSession(a!.device, patient, sessionData(r));
      await sync(a!, { pull: false });
      for (const t0 = Date.now(); !stop() && Date.now() - t0 < 120_000; await wait(250)) {
        if ((await sync(b!)).pull.applied > 0) break;
      }
      await wait(2000);
    }
  } catch (err) {
    log(`latency probe stopped: ${String(err)}`);
  } finally {
    await retireFleet(home, names.map((n) => n.name)).catch(() => undefined);
  }
  return probe.summary();
}

// ---- the runs --------------------------------------------------------------
const http = nodeHttp({ ca: ep.ca ? readFileSync(ep.ca, 'utf8') : undefined, timeoutMs: 60_000 });
const reports: SimReport[] = [];
const probes: LatencySummary[] = [];
const deviceDiskWrites: number[] = [];
const tmpDiskWrites: number[] = [];
const copyFloor: number[] = [];
let lastLine = 0;
let failed = false;
try {
  for (let run = 1; run <= o.runs; run++) {
    const workDir = path.join(deviceRoot, `run-${run}`);
    deviceDiskWrites.push(await durableWritesPerSecond(path.join(deviceRoot, 'floor')));
    tmpDiskWrites.push(await durableWritesPerSecond(path.join(tmp, 'floor')));
    log(`run ${run}/${o.runs}: ${Math.round(deviceDiskWrites[deviceDiskWrites.length - 1]!)} durable writes/s in ${deviceRoot}, ${Math.round(tmpDiskWrites[tmpDiskWrites.length - 1]!)} on the disk (${tmp})`);
    let fleetDone = false;
    const probeRun = probePair(() => fleetDone);
    const r = await simulate(
      { ...o, groups, durationSeconds: duration, seed: o.seed + run - 1, workDir, runEtl: false, warehouseWaitMs: 600_000, convergeTimeoutSeconds: 3600 },
      {
        home, db, http, guardianUrl: ep.guardian!, syncUrl: ep.sync!, caFile: ep.ca ?? null,
        progress: (p) => {
          if (Date.now() - lastLine < 2000 && p.done !== p.total) return;
          lastLine = Date.now();
          log(`${formatProgress(p)}  server ${Math.round(mem.serverMb)} MB, postgres ${Math.round(mem.pgMb)} MB, clients ${Math.round(mem.clientRssMb)} MB`);
        },
      },
    );
    fleetDone = true;
    probes.push(await probeRun);
    log(formatReport(r));
    log(`probe pair under the fleet's load: ${JSON.stringify(probes[probes.length - 1])}`);
    reports.push(r);
    if (!r.check.ok || r.errors) failed = true;
    rmSync(workDir, { recursive: true, force: true });
  }
  // After the runs, so its rows never meet the fleet's ETL: the same number of rows as a run created.
  const rows = Math.max(1000, Math.round(median(reports.map((r) => r.ops))));
  for (let k = 0; k < 3; k++) copyFloor.push(await copyRowsPerSecond(rows));
  log(`COPY floor: ${copyFloor.map((x) => Math.round(x)).join(', ')} rows/s`);
} finally {
  rmSync(deviceRoot, { recursive: true, force: true });
  clearInterval(sampler);
  await http.close();
  await db.close();
  await stopPlatform();
}

// ---- results -----------------------------------------------------------------
if (a['dry-run']) {
  log(`dry run: nothing recorded (server peak ${Math.round(mem.serverPeakMb)} MB, postgres ${Math.round(mem.pgMb)} MB, clients ${Math.round(mem.clientRssMb)} MB)`);
  process.exit(failed ? 1 : 0);
}
const med = (f: (r: SimReport) => number) => median(reports.map(f));
const opsPerSec = med((r) => r.opsPerSecond);
const floorOps = median(copyFloor);
const diskWrites = median(deviceDiskWrites);
const lat = (f: (r: SimReport) => number | null) => med((r) => f(r) ?? NaN);
const ops = med((r) => r.ops);
const pl = (f: (p: LatencySummary) => number | null) => median(probes.map((p) => f(p) ?? NaN));
const fmt = (n: number) => Math.round(n).toLocaleString('en');
const scale = `device folders in ${path.dirname(deviceRoot)}; ${o.devices} devices in ${groups} teams, ${fmt(o.patients)} patients, ${fmt(o.sessions)} sessions, ${fmt(o.attachments)} attachments, offline ratio ${o.offlineRatio}, work planned over ${duration} s of rounds (work and converge took ${fmt(med((r) => r.syncSeconds))} s in ${fmt(med((r) => r.rounds))} rounds: the clients set the pace)`;
const chart = barChart('fleet.svg', `Fleet: ${o.devices} devices against nexus up${fullScale ? '' : ' (reduced scale)'}`, 'ops/s', [
  { label: 'end to end (ops/s)', value: opsPerSec },
  { label: 'floor: raw COPY (rows/s)', value: floorOps },
]);
barChart('fleet-latency.svg', 'Fleet: push→pull latency between devices', 'ms', [
  { label: 'probe pair p50', value: pl((p) => p.p50Ms) },
  { label: 'probe pair p95', value: pl((p) => p.p95Ms) },
  { label: 'fleet devices p50', value: lat((r) => r.latency.p50Ms) },
  { label: 'fleet devices p95', value: lat((r) => r.latency.p95Ms) },
]);
const checkLine = reports.map((r, i) => `run ${i + 1}: ${r.check.ok ? 'OK' : 'FAILED'} (${r.check.opsCreated} ops, ${r.check.missingInStaging} missing, ${r.check.duplicatedInStaging} duplicated, ${r.check.divergent} divergent; ${r.errors} errors)`).join('; ');
recordResults(`Field fleet${fullScale ? '' : ' (reduced scale)'}`, ['npm run bench:fleet', ...(process.argv.length > 2 ? ['--', ...process.argv.slice(2)] : [])].join(' '), [
  `Scale: ${fullScale ? '**full** (issue 5)' : '**reduced**, not the issue\u2019s 200 devices / 20k patients / 100k sessions / 2k attachments'}: ${scale}; ${o.runs} run(s), medians.`,
  '',
  '| measure | value |',
  '|---|---|',
  `| ops created (patients, sessions, edits, attachments) | ${fmt(ops)} |`,
  `| **end-to-end ops/s** (work + converge: created, pushed, in the feed, pulled by the team) | **${opsPerSec.toFixed(1)}** |`,
  `| floor: raw COPY of as many staging rows into the platform's database | ${fmt(floorOps)} rows/s |`,
  `| **end to end / floor** | **${(opsPerSec / floorOps).toPrecision(2)}** |`,
  `| for reference: durable atomic writes/s where the device folders live / on the disk (an op costs 2 + 1 per team mate that pulls it) | ${fmt(diskWrites)} / ${fmt(median(tmpDiskWrites))} |`,
  `| push→pull latency, probe pair during the run (A pushes every 2 s, B pulls every 250 ms) p50 / p95 / p99 | ${fmt(pl((p) => p.p50Ms))} / **${fmt(pl((p) => p.p95Ms))}** / ${fmt(pl((p) => p.p99Ms))} ms (${fmt(pl((p) => p.samples))} samples) |`,
  `| push→pull latency between the fleet's devices (includes their sync cadence) p50 / p95 / p99 | ${fmt(lat((r) => r.latency.p50Ms))} / **${fmt(lat((r) => r.latency.p95Ms))}** / ${fmt(lat((r) => r.latency.p99Ms))} ms (${fmt(med((r) => r.latency.samples))} samples) |`,
  `| changes pulled / conflicts kept local / dead letters | ${fmt(med((r) => r.changesPulled))} / ${fmt(med((r) => r.conflicts))} / ${fmt(med((r) => r.deadLetters))} |`,
  `| bytes sent / received by the devices | ${(med((r) => r.bytesSent) / 1048576).toFixed(0)} / ${(med((r) => r.bytesReceived) / 1048576).toFixed(0)} MiB |`,
  `| server: \`nexus up\` process peak RSS (every service but PostgreSQL) | ${fmt(mem.serverPeakMb)} MB |`,
  `| server: PostgreSQL peak (sum of Pss) | ${fmt(mem.pgMb)} MB |`,
  `| clients: this process peak RSS / heap (all ${o.devices} devices) | ${fmt(mem.clientRssMb)} / ${fmt(mem.clientHeapMb)} MB (≈ ${(mem.clientRssMb / o.devices).toFixed(1)} MB per device) |`,
  `| check | ${checkLine} |`,
  '',
  `Notes: the machine is shared (load average ${loadBefore} before, ${loadAvg()} after, ${os.cpus().length} cores; above the core count the absolute numbers are low and noisy). ` +
    'The latency is from the push answer that acknowledged an op to the pull answer that brought it to another device of its team; it includes the ETL (run by the platform on each push) and the time until that device syncs again (once a round, rounds of ≥ 1 s, 16 devices at a time, some offline), so it is the latency a team would see, not the server\u2019s floor. ' +
    'All devices run in one Node process, so "clients" is their sum plus the simulator\u2019s bookkeeping.',
], chart);
log(failed ? 'fleet bench: the check FAILED (recorded as such)' : 'fleet bench: recorded in bench/RESULTS.md');
process.exit(failed ? 1 : 0);
