// npm run bench:push — push throughput over HTTPS against raw COPY of the
// same rows, and file upload throughput against `cp` + fsync of the same
// bytes, in one run on one machine. The sync server runs as its own process
// (`nexus sync`) so its peak memory can be read.
//
//   NEXUS_BENCH_OPS (200000) NEXUS_BENCH_DEVICES (20) NEXUS_BENCH_ROUNDS (3)

import { spawn, execFileSync } from 'node:child_process';
import { createHash, randomFillSync, randomUUID } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import copyStreams from 'pg-copy-streams';
import { addDevice } from '../src/guardian/index.ts';
import { caCertPath, ensureTls } from '../src/tls/index.ts';
import { freePort } from '../src/db/cluster.ts';
import { payloadSha256, uuidv7 } from '../src/protocol/index.ts';
import { barChart, benchEnv, median, percentile, progress, recordResults } from './lib.ts';

const num = (v: string | undefined, d: number) => (v && /^\d+$/.test(v) ? Number(v) : d);
// Benchmarks are run by hand; these knobs are read here, as the CLI does for settings.
const OPS = num(process.env.NEXUS_BENCH_OPS, 200_000);
const DEVICES = num(process.env.NEXUS_BENCH_DEVICES, 20);
const ROUNDS = num(process.env.NEXUS_BENCH_ROUNDS, 3);
const BATCH = 500;
const FILES = num(process.env.NEXUS_BENCH_FILES, 8);
const FILE_MB = num(process.env.NEXUS_BENCH_FILE_MB, 32);

const env = await benchEnv();
await ensureTls(env.home);
const ca = readFileSync(caCertPath(env.home));
let agent = new https.Agent({ ca, keepAlive: true, maxSockets: DEVICES * 2 });
/** Fresh connections for each phase: idle keep-alive sockets may have been closed by the servers meanwhile. */
function freshAgent(): void {
  agent.destroy();
  agent = new https.Agent({ ca, keepAlive: true, maxSockets: DEVICES * 2 });
}
// Guardian and sync run as their own processes, as in production: the
// benchmark's client work never stalls them, and sync's memory is its own.
const [guardianPort, syncPort] = [await freePort(), await freePort()];
const guardianUrl = `https://127.0.0.1:${guardianPort}`;
const syncUrl = `https://127.0.0.1:${syncPort}`;
const childEnv = { PATH: process.env.PATH, ...env.env, NEXUS_GUARDIAN_PORT: String(guardianPort), NEXUS_SYNC_PORT: String(syncPort), NEXUS_GUARDIAN_URL: guardianUrl, NEXUS_CHECK_SOURCE_ADDRESS: 'false', NEXUS_FILE_MAX_BYTES: String(256 * 1024 * 1024) };
const guardian = spawn(process.execPath, ['bin/nexus.js', 'guardian'], { env: childEnv, stdio: ['ignore', 'inherit', 'inherit'] });
// The heap cap of deploy/systemd/nexus-sync.service, as in production.
const server = spawn(process.execPath, ['bin/nexus.js', 'sync'], { env: { ...childEnv, NODE_OPTIONS: '--max-old-space-size=192' }, stdio: ['ignore', 'inherit', 'inherit'] });

function call(base: string, method: string, p: string, body?: Buffer, headers: Record<string, string> = {}): Promise<{ status: number; json: any }> {
  return new Promise((resolve, reject) => {
    const req = https.request(new URL(p, base), { method, agent, headers: { ...(body ? { 'content-length': String(body.length) } : {}), ...headers } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString();
        resolve({ status: res.statusCode ?? 0, json: text.startsWith('{') ? JSON.parse(text) : text });
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}
const json = (o: unknown) => Buffer.from(JSON.stringify(o));

async function waitForServers(): Promise<void> {
  for (let i = 0; i < 600; i++) {
    const sync = await call(syncUrl, 'GET', '/v1/openapi.json').then((r) => r.status === 200, () => false);
    const guard = await call(guardianUrl, 'GET', '/guardian/v1/health').then((r) => r.status === 200, () => false);
    if (sync && guard) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('nexus guardian / nexus sync did not start');
}

async function enrol(): Promise<{ id: string; token: string }> {
  const added = await addDevice(env.home, { name: `bench-${randomUUID().slice(0, 8)}`, enrollmentTtlHours: 1 });
  const e = await call(guardianUrl, 'POST', '/guardian/v1/enroll', json({ enrollment_code: added.enrollmentCode }), { 'content-type': 'application/json' });
  const t = await call(guardianUrl, 'POST', '/guardian/v1/token', json({ device_id: e.json.device_id, device_secret: e.json.device_secret }), { 'content-type': 'application/json' });
  return { id: e.json.device_id, token: t.json.access_token };
}

/** A FIELD_DATA-shaped session op (about 700 bytes of JSON). */
function sessionOp(seq: number): Record<string, unknown> {
  const patient = uuidv7();
  const payload = {
    session_id: uuidv7(), patient_id: patient, type: 'home_visit', status: 'completed',
    started_at: '2026-11-20T13:30:00Z', ended_at: '2026-11-20T14:02:00Z', clinician: 'nurse-07',
    location: { lat: 52.5321, lon: 13.3849 }, form: { id: 'visit-standard', version: 4 },
    measurements: { pulse_bpm: 78, systolic_mmhg: 134, diastolic_mmhg: 82, temperature_c: 36.8, spo2_pct: 96, weight_kg: 71.4, blood_glucose_mgdl: 142, pain_score: 3 },
    answers: { mobility: 'walker', falls_since_last_visit: 0, medication_taken: true },
    notes: 'Wound healing well.', documents: [], images: [], app_version: '3.4.1',
  };
  return { op_id: uuidv7(), seq, entity: 'session', patient_id: patient, entity_id: payload.session_id, schema_version: 1, base_version: null, recorded_at: new Date().toISOString(), payload_sha256: payloadSha256(payload), payload };
}

const PER_DEVICE = Math.ceil(OPS / DEVICES / BATCH);

/** Every batch of a round, made (and hashed) before the clock starts. */
function makeBodies(): Array<Array<Array<Record<string, unknown>>>> {
  return Array.from({ length: DEVICES }, () => Array.from({ length: PER_DEVICE }, (_, b) => Array.from({ length: BATCH }, (__, i) => sessionOp(b * BATCH + i + 1))));
}

async function pushRound(bodies: Array<Array<Array<Record<string, unknown>>>>): Promise<{ opsPerSec: number; latencies: number[]; rows: Array<Record<string, unknown>> }> {
  const devices = await Promise.all(Array.from({ length: DEVICES }, enrol));
  const perDevice = PER_DEVICE;
  const latencies: number[] = [];
  const tick = progress('push', devices.length * perDevice * BATCH);
  let done = 0;
  const t0 = performance.now();
  await Promise.all(devices.map(async (d, i) => {
    for (const ops of bodies[i]!) {
      const s = performance.now();
      const r = await call(syncUrl, 'POST', '/v1/sync/push', json({ ops }), { 'content-type': 'application/json', authorization: `Bearer ${d.token}` });
      if (r.status !== 200 || r.json.results.some((x: { status: string }) => x.status !== 'applied')) throw new Error(`push failed: ${r.status} ${JSON.stringify(r.json).slice(0, 300)}`);
      latencies.push(performance.now() - s);
      done += ops.length;
      tick(done);
    }
  }));
  const secs = (performance.now() - t0) / 1000;
  return { opsPerSec: (devices.length * perDevice * BATCH) / secs, latencies, rows: bodies.flat(2) };
}

function csv(v: unknown): string {
  if (v === null || v === undefined) return '';
  const s = typeof v === 'string' ? v : JSON.stringify(v);
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** The same rows through COPY, as the sync role, into the same table. */
async function copyRound(ops: Array<Record<string, unknown>>): Promise<number> {
  const device = randomUUID(); // fresh (device, seq) pairs
  const request = randomUUID();
  const lines = ops.map((op, i) => [request, device, '{default}', i + 1, op.op_id, op.payload_sha256, 'applied', op.entity, op.patient_id, op.entity_id, 1, '', op.recorded_at, csv(op)].map((v, k) => (k === 13 ? v : csv(v))).join(',') + '\n');
  const client = await env.db.pool('nexus_sync').connect();
  const t0 = performance.now();
  try {
    await client.query('BEGIN');
    const stream = client.query(copyStreams.from(`COPY staging.sync_inbound (request_id, device_id, device_groups, seq, op_id, payload_sha256, status, entity, patient_id, entity_id, schema_version, base_version, recorded_at, raw) FROM STDIN WITH (FORMAT csv)`));
    await pipeline(Readable.from(lines), stream);
    await client.query('COMMIT');
  } finally {
    client.release();
  }
  return ops.length / ((performance.now() - t0) / 1000);
}

function peakRssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmHWM:\s+(\d+)/.exec(status)![1]) / 1024;
}

async function fileRound(round: number, device: { token: string }): Promise<{ upload: number; cp: number }> {
  const dir = path.join(env.home, `bench-files-${round}`);
  const dest = path.join(env.home, `bench-cp-${round}`);
  mkdirSync(dir);
  mkdirSync(dest);
  const files = Array.from({ length: FILES }, (_, i) => {
    const bytes = randomFillSync(Buffer.alloc(FILE_MB * 1024 * 1024));
    const f = path.join(dir, `f${i}.pdf`);
    writeFileSync(f, bytes);
    return { f, sha: createHash('sha256').update(bytes).digest('hex'), bytes };
  });
  const totalMb = FILES * FILE_MB;
  freshAgent();
  let t0 = performance.now();
  for (const { sha, bytes } of files) {
    const r = await call(syncUrl, 'PUT', `/v1/files/${sha}`, bytes, { 'content-type': 'application/pdf', authorization: `Bearer ${device.token}` });
    if (r.status !== 201) throw new Error(`upload failed: ${r.status} ${JSON.stringify(r.json)}`);
  }
  const upload = totalMb / ((performance.now() - t0) / 1000);
  execFileSync('sync');
  t0 = performance.now();
  execFileSync('cp', [...files.map((x) => x.f), dest]);
  execFileSync('sync', files.map((x) => path.join(dest, path.basename(x.f)))); // durable, like the server's fsync
  const cp = totalMb / ((performance.now() - t0) / 1000);
  rmSync(dir, { recursive: true });
  rmSync(dest, { recursive: true });
  return { upload, cp };
}

try {
  await waitForServers();
  const push: number[] = [];
  const copy: number[] = [];
  const p50: number[] = [];
  const p99: number[] = [];
  for (let r = 1; r <= ROUNDS; r++) {
    process.stderr.write(`round ${r}/${ROUNDS}\n`);
    const bodies = makeBodies();
    freshAgent();
    const res = await pushRound(bodies);
    push.push(res.opsPerSec);
    p50.push(percentile(res.latencies, 50));
    p99.push(percentile(res.latencies, 99));
    copy.push(await copyRound(res.rows));
    process.stderr.write(`  push ${Math.round(res.opsPerSec)} ops/s, COPY ${Math.round(copy[copy.length - 1]!)} rows/s\n`);
  }
  const rss = peakRssMb(server.pid!);
  freshAgent();
  const device = await enrol();
  const uploads: number[] = [];
  const cps: number[] = [];
  for (let r = 1; r <= ROUNDS; r++) {
    const f = await fileRound(r, device);
    uploads.push(f.upload);
    cps.push(f.cp);
    process.stderr.write(`  files round ${r}: upload ${f.upload.toFixed(0)} MB/s, cp+fsync ${f.cp.toFixed(0)} MB/s\n`);
  }
  const pushRatio = median(push) / median(copy);
  const fileRatio = median(uploads) / median(cps);
  const lines = [
    `| measure (median of ${ROUNDS}) | value | target |`,
    '|---|---|---|',
    `| push over HTTPS, ${DEVICES} devices × ${BATCH}-op batches, ${OPS.toLocaleString('en')} ops | ${Math.round(median(push)).toLocaleString('en')} ops/s | |`,
    `| raw COPY of the same rows into staging.sync_inbound | ${Math.round(median(copy)).toLocaleString('en')} rows/s | |`,
    `| **push / COPY** | **${pushRatio.toFixed(2)}** | ≥ 0.30 |`,
    `| batch latency p50 / p99 | ${Math.round(median(p50))} / ${Math.round(median(p99))} ms | |`,
    `| sync server peak RSS | ${Math.round(rss)} MB | < 300 MB |`,
    `| file upload (PUT, ${FILES} × ${FILE_MB} MiB) | ${median(uploads).toFixed(0)} MB/s | |`,
    `| cp + fsync of the same bytes | ${median(cps).toFixed(0)} MB/s | |`,
    `| **upload / cp** | **${fileRatio.toFixed(2)}** | ≥ 0.5 |`,
  ];
  const chart = barChart('push.svg', 'Push and upload against their physical limits (median)', '', [
    { label: 'push ops/s', value: median(push) },
    { label: 'COPY rows/s', value: median(copy) },
    { label: 'upload MB/s (×1000)', value: median(uploads) * 1000 },
    { label: 'cp+fsync MB/s (×1000)', value: median(cps) * 1000 },
  ]);
  process.stdout.write(lines.join('\n') + '\n');
  recordResults('Push and file upload', 'npm run bench:push', lines, chart);
} finally {
  for (const child of [server, guardian]) {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
  }
  agent.destroy();
  await env.close();
}
