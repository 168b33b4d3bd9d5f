// npm run bench:push — push throughput over HTTPS against raw COPY of the
// same rows, in one run on one machine. The sync server runs as its own
// process (`nexus sync`) so its peak memory can be read. File upload
// throughput has its own benchmark: npm run bench:upload (bench/upload.ts).
//
//   NEXUS_BENCH_OPS (200000) NEXUS_BENCH_DEVICES (20) NEXUS_BENCH_ROUNDS (3)
//   NEXUS_BENCH_NO_RECORD=1: print the table only (trial runs)

import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import copyStreams from 'pg-copy-streams';
import { payloadSha256, uuidv7 } from '../src/protocol/index.ts';
import { startBenchStack } from './push-stack.ts';
import { barChart, median, percentile, progress, recordResults } from './lib.ts';

const num = (v: string | undefined, d: number) => (v && /^\d+$/.test(v) ? Number(v) : d);
// Benchmarks are run by hand; these knobs are read here, as the CLI does for settings.
const OPS = num(process.env.NEXUS_BENCH_OPS, 200_000);
const DEVICES = num(process.env.NEXUS_BENCH_DEVICES, 20);
const ROUNDS = num(process.env.NEXUS_BENCH_ROUNDS, 3);
const BATCH = 500;

const stack = await startBenchStack({ maxSockets: DEVICES * 2 });
const { env, syncUrl, call, enrol } = stack;
const json = (o: unknown) => Buffer.from(JSON.stringify(o));

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

try {
  const push: number[] = [];
  const copy: number[] = [];
  const p50: number[] = [];
  const p99: number[] = [];
  for (let r = 1; r <= ROUNDS; r++) {
    process.stderr.write(`round ${r}/${ROUNDS}\n`);
    const bodies = makeBodies();
    stack.freshAgent();
    const res = await pushRound(bodies);
    push.push(res.opsPerSec);
    p50.push(percentile(res.latencies, 50));
    p99.push(percentile(res.latencies, 99));
    copy.push(await copyRound(res.rows));
    process.stderr.write(`  push ${Math.round(res.opsPerSec)} ops/s, COPY ${Math.round(copy[copy.length - 1]!)} rows/s\n`);
  }
  const rss = peakRssMb(stack.server.pid!);
  const pushRatio = median(push) / median(copy);
  const lines = [
    `| measure (median of ${ROUNDS}) | value | target |`,
    '|---|---|---|',
    `| push over HTTPS, ${DEVICES} devices × ${BATCH}-op batches, ${OPS.toLocaleString('en')} ops | ${Math.round(median(push)).toLocaleString('en')} ops/s | |`,
    `| raw COPY of the same rows into staging.sync_inbound | ${Math.round(median(copy)).toLocaleString('en')} rows/s | |`,
    `| **push / COPY** | **${pushRatio.toFixed(2)}** | ≥ 0.30 |`,
    `| batch latency p50 / p99 | ${Math.round(median(p50))} / ${Math.round(median(p99))} ms | |`,
    `| sync server peak RSS | ${Math.round(rss)} MB | < 300 MB |`,
  ];
  process.stdout.write(lines.join('\n') + '\n');
  if (process.env.NEXUS_BENCH_NO_RECORD !== '1') {
    const chart = barChart('push.svg', 'Push against raw COPY (median)', '', [
      { label: 'push ops/s', value: median(push) },
      { label: 'COPY rows/s', value: median(copy) },
    ]);
    recordResults('Push', 'npm run bench:push', lines, chart);
  }
} finally {
  await stack.close();
}
