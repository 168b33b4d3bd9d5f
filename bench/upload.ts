// npm run bench:upload — file upload throughput (PUT /v1/files/{sha256} over
// HTTPS to `nexus sync` in its own process) against its physical floor,
// `cp` of the same bytes followed by `sync` (the server fsyncs every file),
// in one run. A TLS reference is measured in the same run: the same client
// sending the same bytes to an HTTPS server that only discards them
// (bench/upload-sink.ts), the ceiling of any HTTPS upload in Node here; and
// tus (creation, then one PATCH per file) for comparison. Each phase also
// reports the CPU seconds per GiB its server process used (all threads,
// from /proc): on a shared machine that is steadier than the rates.
//
//   NEXUS_BENCH_FILES (8) NEXUS_BENCH_FILE_MB (32) NEXUS_BENCH_ROUNDS (5)
//   NEXUS_BENCH_PROFILE=<dir>: run nexus sync with --cpu-prof into <dir>
//   NEXUS_BENCH_SYNC_FLAGS: more node flags for nexus sync (e.g. --trace-gc)
//   NEXUS_BENCH_NO_RECORD=1: print the table only (trial runs; also with PROFILE)

import { execFileSync, fork } from 'node:child_process';
import { createHash, randomFillSync } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { startBenchStack } from './push-stack.ts';
import { barChart, median, recordResults } from './lib.ts';

const num = (v: string | undefined, d: number) => (v && /^\d+$/.test(v) ? Number(v) : d);
// Benchmarks are run by hand; these knobs are read here, as the CLI does for settings.
const FILES = num(process.env.NEXUS_BENCH_FILES, 8);
const FILE_MB = num(process.env.NEXUS_BENCH_FILE_MB, 32);
const ROUNDS = num(process.env.NEXUS_BENCH_ROUNDS, 5);
const PROFILE = process.env.NEXUS_BENCH_PROFILE;

const stack = await startBenchStack({
  maxSockets: 4,
  settings: { NEXUS_FILE_MAX_BYTES: String(Math.max(64, FILE_MB) * 1024 * 1024) },
  syncNodeFlags: [...(PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${path.resolve(PROFILE)}`] : []), ...(process.env.NEXUS_BENCH_SYNC_FLAGS?.split(' ').filter(Boolean) ?? [])],
});
const sink = fork('bench/upload-sink.ts', [stack.env.home], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });

interface BenchFile {
  f: string;
  sha: string;
  bytes: Buffer;
  tusSha?: string;
  tusBytes?: Buffer;
}

/** One request with a whole buffer as its body over the stack's keep-alive agent; resolves with status and headers. */
function send(method: string, url: URL, bytes: Buffer | undefined, headers: Record<string, string>): Promise<{ status: number; headers: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const req = https.request(url, { method, agent: stack.agent(), headers: { 'content-length': String(bytes?.length ?? 0), ...headers } }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers }));
    });
    req.on('error', reject);
    req.end(bytes);
  });
}

async function put(base: string, p: string, bytes: Buffer, token: string): Promise<number> {
  return (await send('PUT', new URL(p, base), bytes, { 'content-type': 'application/pdf', authorization: `Bearer ${token}` })).status;
}

/** A tus upload in one PATCH (creation, then the whole body), as a client on a good link sends it. */
async function tusUpload(sha: string, bytes: Buffer, token: string): Promise<void> {
  const b64 = (v: string): string => Buffer.from(v).toString('base64');
  const common = { 'tus-resumable': '1.0.0', authorization: `Bearer ${token}` };
  const created = await send('POST', new URL('/v1/uploads', stack.syncUrl), undefined, {
    ...common, 'upload-length': String(bytes.length), 'upload-metadata': `sha256 ${b64(sha)},content_type ${b64('application/pdf')}`,
  });
  if (created.status !== 201) throw new Error(`tus creation failed: ${created.status}`);
  const patched = await send('PATCH', new URL(String(created.headers.location)), bytes, {
    ...common, 'upload-offset': '0', 'content-type': 'application/offset+octet-stream',
  });
  if (patched.status !== 204 || patched.headers['nexus-file-status'] !== 'created') throw new Error(`tus upload failed: ${patched.status}`);
}

/** CPU seconds (user + system) a process has used so far, from /proc (clock ticks of 1/100 s). */
function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

interface Phase {
  /** MB/s of wall time. */
  rate: number;
  /** CPU seconds per GiB sent: the server process (all its threads) and this client. */
  serverCpu: number;
  clientCpu: number;
}

/** Sends every file once, one after another, on one connection; `serverPid` is the process that receives. */
async function timed(serverPid: number, files: BenchFile[], fn: (file: BenchFile) => Promise<void>): Promise<Phase> {
  const s0 = cpuSeconds(serverPid);
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  for (const file of files) await fn(file);
  const secs = (performance.now() - t0) / 1000;
  const c = process.cpuUsage(c0);
  const gib = (files.length * FILE_MB) / 1024;
  return { rate: (files.length * FILE_MB) / secs, serverCpu: (cpuSeconds(serverPid) - s0) / gib, clientCpu: (c.user + c.system) / 1e6 / gib };
}

async function round(r: number, token: string, sinkUrl: string): Promise<{ upload: Phase; tus: Phase; cp: number; tls: Phase }> {
  const dir = path.join(stack.env.home, `bench-files-${r}`);
  const dest = path.join(stack.env.home, `bench-cp-${r}`);
  mkdirSync(dir);
  mkdirSync(dest);
  const files: BenchFile[] = Array.from({ length: FILES }, (_, i) => {
    const bytes = randomFillSync(Buffer.alloc(FILE_MB * 1024 * 1024));
    const f = path.join(dir, `f${i}.pdf`);
    writeFileSync(f, bytes);
    return { f, sha: createHash('sha256').update(bytes).digest('hex'), bytes };
  });
  execFileSync('sync');

  stack.freshAgent();
  const tls = await timed(sink.pid!, files, async ({ bytes }) => {
    const status = await put(sinkUrl, '/sink', bytes, token);
    if (status !== 201) throw new Error(`TLS sink answered ${status}`);
  });

  stack.freshAgent();
  const upload = await timed(stack.server.pid!, files, async ({ sha, bytes }) => {
    const status = await put(stack.syncUrl, `/v1/files/${sha}`, bytes, token);
    if (status !== 201) throw new Error(`upload failed: ${status}`);
  });

  // tus gets bytes of its own (the same bytes would already be stored).
  for (const f of files) {
    f.tusBytes = randomFillSync(Buffer.alloc(f.bytes.length));
    f.tusSha = createHash('sha256').update(f.tusBytes).digest('hex');
  }
  stack.freshAgent();
  const tus = await timed(stack.server.pid!, files, ({ tusSha, tusBytes }) => tusUpload(tusSha!, tusBytes!, token));

  execFileSync('sync');
  const t0 = performance.now();
  execFileSync('cp', [...files.map((x) => x.f), dest]);
  execFileSync('sync', files.map((x) => path.join(dest, path.basename(x.f)))); // durable, like the server's fsync
  const cp = (FILES * FILE_MB) / ((performance.now() - t0) / 1000);
  rmSync(dir, { recursive: true });
  rmSync(dest, { recursive: true });
  return { upload, tus, cp, tls };
}

try {
  const sinkPort = await new Promise<number>((resolve) => sink.once('message', (m) => resolve(Number(m))));
  const sinkUrl = `https://127.0.0.1:${sinkPort}`;
  const device = await stack.enrol();
  await round(0, device.token, sinkUrl); // warm-up: JIT, connections, first folders
  const load = [os.loadavg()[0]];
  const uploads: Phase[] = [];
  const tuses: Phase[] = [];
  const cps: number[] = [];
  const tlss: Phase[] = [];
  for (let r = 1; r <= ROUNDS; r++) {
    const x = await round(r, device.token, sinkUrl);
    uploads.push(x.upload);
    tuses.push(x.tus);
    cps.push(x.cp);
    tlss.push(x.tls);
    process.stderr.write(
      `  round ${r}/${ROUNDS}: upload ${x.upload.rate.toFixed(0)} MB/s (server ${x.upload.serverCpu.toFixed(2)} CPU s/GiB), tus ${x.tus.rate.toFixed(0)} MB/s (${x.tus.serverCpu.toFixed(2)}), cp+fsync ${x.cp.toFixed(0)} MB/s, ` +
        `TLS sink ${x.tls.rate.toFixed(0)} MB/s (server ${x.tls.serverCpu.toFixed(2)} CPU s/GiB), client ${x.upload.clientCpu.toFixed(2)} / ${x.tls.clientCpu.toFixed(2)} CPU s/GiB\n`,
    );
  }
  const m = (xs: Phase[], k: keyof Phase): number => median(xs.map((x) => x[k]));
  load.push(os.loadavg()[0]);
  const ratio = m(uploads, 'rate') / median(cps);
  const ceiling = m(tlss, 'rate') / median(cps);
  const lines = [
    `| measure (median of ${ROUNDS}, ${FILES} × ${FILE_MB} MiB files, one connection) | value | target |`,
    '|---|---|---|',
    `| file upload: PUT /v1/files/{sha256} over HTTPS, hashed, written, fsynced, filed | ${m(uploads, 'rate').toFixed(0)} MB/s | |`,
    `| cp + sync of the same bytes (floor) | ${median(cps).toFixed(0)} MB/s | |`,
    `| **upload / cp** | **${ratio.toFixed(2)}** | ≥ 0.5 |`,
    `| tus upload of other bytes of the same size (POST, one PATCH), for comparison | ${m(tuses, 'rate').toFixed(0)} MB/s | |`,
    `| reference: same client, same bytes, HTTPS server that discards them | ${m(tlss, 'rate').toFixed(0)} MB/s | |`,
    `| upload / TLS reference | ${(m(uploads, 'rate') / m(tlss, 'rate')).toFixed(2)} | |`,
    `| TLS reference / cp: the most upload / cp could be for a Node HTTPS server here | ${ceiling.toFixed(2)} | |`,
    `| CPU per GiB, sync server (all threads) for PUT / tus; TLS reference server | ${m(uploads, 'serverCpu').toFixed(2)} s / ${m(tuses, 'serverCpu').toFixed(2)} s; ${m(tlss, 'serverCpu').toFixed(2)} s | |`,
    `| CPU per GiB, benchmark client (upload / TLS reference) | ${m(uploads, 'clientCpu').toFixed(2)} s / ${m(tlss, 'clientCpu').toFixed(2)} s | |`,
    '',
    `Load average ${load.map((l) => l!.toFixed(1)).join(' → ')} on ${os.cpus().length} cores shared with other engineers' runs: ` +
      'rates vary from run to run; compare the rows of one run. The client, both servers and PostgreSQL share those cores.',
  ];
  process.stdout.write(lines.join('\n') + '\n');
  if (!PROFILE && process.env.NEXUS_BENCH_NO_RECORD !== '1') {
    const chart = barChart('upload.svg', 'File upload against cp + fsync and bare TLS (median MB/s)', 'MB/s', [
      { label: 'upload (PUT)', value: m(uploads, 'rate') },
      { label: 'upload (tus)', value: m(tuses, 'rate') },
      { label: 'cp + fsync', value: median(cps) },
      { label: 'TLS, discard', value: m(tlss, 'rate') },
    ]);
    recordResults('File upload', 'npm run bench:upload', lines, chart);
  }
} finally {
  sink.disconnect();
  await stack.close();
}
