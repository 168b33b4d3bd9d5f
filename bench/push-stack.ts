// The servers the push and upload benchmarks talk to: a private cluster
// (bench/lib.ts), `nexus guardian` and `nexus sync` as their own processes
// (as in production: the benchmark's client work never stalls them, and
// sync's memory is its own), a keep-alive HTTPS agent, and device enrolment.

import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import https from 'node:https';
import { addDevice } from '../src/guardian/index.ts';
import { caCertPath, ensureTls } from '../src/tls/index.ts';
import { freePort } from '../src/db/cluster.ts';
import { benchEnv, type BenchEnv } from './lib.ts';

export interface Reply {
  status: number;
  json: any;
}

export interface BenchStack {
  env: BenchEnv;
  ca: Buffer;
  syncUrl: string;
  guardianUrl: string;
  server: ChildProcess;
  agent(): https.Agent;
  /** Fresh connections for a phase: idle keep-alive sockets may have been closed by the servers meanwhile. */
  freshAgent(): void;
  call(base: string, method: string, p: string, body?: Buffer, headers?: Record<string, string>): Promise<Reply>;
  enrol(): Promise<{ id: string; token: string }>;
  close(): Promise<void>;
}

export interface StackOptions {
  maxSockets: number;
  /** Extra settings for both servers. */
  settings?: Record<string, string>;
  /** Extra node flags for the sync process (e.g. --cpu-prof). */
  syncNodeFlags?: string[];
}

export async function startBenchStack(opts: StackOptions): Promise<BenchStack> {
  const env = await benchEnv();
  await ensureTls(env.home);
  const ca = readFileSync(caCertPath(env.home));
  const newAgent = (): https.Agent => new https.Agent({ ca, keepAlive: true, maxSockets: opts.maxSockets });
  let agent = newAgent();
  const [guardianPort, syncPort] = [await freePort(), await freePort()];
  const guardianUrl = `https://127.0.0.1:${guardianPort}`;
  const syncUrl = `https://127.0.0.1:${syncPort}`;
  const childEnv = {
    PATH: process.env.PATH, ...env.env, NEXUS_GUARDIAN_PORT: String(guardianPort), NEXUS_SYNC_PORT: String(syncPort),
    NEXUS_GUARDIAN_URL: guardianUrl, NEXUS_CHECK_SOURCE_ADDRESS: 'false', ...opts.settings,
  };
  const guardian = spawn(process.execPath, ['bin/nexus.js', 'guardian'], { env: childEnv, stdio: ['ignore', 'inherit', 'inherit'] });
  // The heap cap of deploy/systemd/nexus-sync.service, as in production.
  const server = spawn(process.execPath, [...(opts.syncNodeFlags ?? []), 'bin/nexus.js', 'sync'], {
    env: { ...childEnv, NODE_OPTIONS: '--max-old-space-size=192' },
    stdio: ['ignore', 'inherit', 'inherit'],
  });

  const call = (base: string, method: string, p: string, body?: Buffer, headers: Record<string, string> = {}): Promise<Reply> =>
    new Promise((resolve, reject) => {
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
  const json = (o: unknown): Buffer => Buffer.from(JSON.stringify(o));

  const stop = async (): Promise<void> => {
    for (const child of [server, guardian]) {
      if (child.exitCode !== null || child.signalCode !== null) continue;
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
    }
    agent.destroy();
    await env.close();
  };

  try {
    let up = false;
    for (let i = 0; i < 600 && !up; i++) {
      const sync = await call(syncUrl, 'GET', '/v1/openapi.json').then((r) => r.status === 200, () => false);
      const guard = await call(guardianUrl, 'GET', '/guardian/v1/health').then((r) => r.status === 200, () => false);
      up = sync && guard;
      if (!up) await new Promise((r) => setTimeout(r, 100));
    }
    if (!up) throw new Error('nexus guardian / nexus sync did not start');
  } catch (err) {
    await stop();
    throw err;
  }

  return {
    env, ca, syncUrl, guardianUrl, server, call,
    agent: () => agent,
    freshAgent() {
      agent.destroy();
      agent = newAgent();
    },
    async enrol() {
      const added = await addDevice(env.home, { name: `bench-${randomUUID().slice(0, 8)}`, enrollmentTtlHours: 1 });
      const e = await call(guardianUrl, 'POST', '/guardian/v1/enroll', json({ enrollment_code: added.enrollmentCode }), { 'content-type': 'application/json' });
      const t = await call(guardianUrl, 'POST', '/guardian/v1/token', json({ device_id: e.json.device_id, device_secret: e.json.device_secret }), { 'content-type': 'application/json' });
      return { id: e.json.device_id, token: t.json.access_token };
    },
    close: stop,
  };
}
