// The embedded database and `nexus up` as a person uses them, in child processes.

import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, chmodSync, statSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import https from 'node:https';
import { nexus, startNexus, waitFor } from '../helpers/cli.ts';
import { httpGet } from '../../src/health/checks/endpoints.ts';

function tempHome(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'nexus-life-'));
  chmodSync(dir, 0o711);
  return path.join(dir, 'home');
}

async function query(url: string, sql: string): Promise<Record<string, unknown>[]> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return (await c.query(sql)).rows;
  } finally {
    await c.end();
  }
}

/** A fresh home and a port something else listens on (closed, and the home removed, after the test). */
async function takenPort(t: TestContext): Promise<{ home: string; port: number }> {
  const home = tempHome();
  const blocker = net.createServer();
  await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
  t.after(() => {
    blocker.close();
    rmSync(path.dirname(home), { recursive: true, force: true });
  });
  return { home, port: (blocker.address() as net.AddressInfo).port };
}

test('db start → status → url → migrate → stop', async (t) => {
  const home = tempHome();
  t.after(async () => {
    await nexus(['db', 'stop'], { NEXUS_HOME: home });
    rmSync(path.dirname(home), { recursive: true, force: true });
  });
  const env = { NEXUS_HOME: home, NEXUS_PG_DURABLE: 'false' };
  const started = await nexus(['db', 'start'], env);
  assert.equal(started.code, 0, started.stderr);
  assert.match(started.stdout, /running on 127\.0\.0\.1:\d+/);
  const status = await nexus(['db', 'status', '--json'], env);
  const st = JSON.parse(status.stdout);
  assert.equal(st.running, true);
  assert.equal(st.mode, 'embedded');
  const url = (await nexus(['db', 'url', '--role', 'clarity_reader'], env)).stdout.trim();
  assert.match(url, new RegExp(`^postgres://clarity_reader:[^@]+@127\\.0\\.0\\.1:${st.port}/nexus$`));
  assert.deepEqual(await query(url, 'SELECT current_user AS u'), [{ u: 'clarity_reader' }]);
  const again = await nexus(['migrate'], env);
  assert.match(again.stdout, /^0 applied, \d+ already applied/);
  assert.equal(statSync(path.join(home, 'secrets', 'database.json')).mode & 0o777, 0o600);
  const stopped = await nexus(['db', 'stop'], env);
  assert.equal(stopped.stdout.trim(), 'stopped');
  const after = await nexus(['db', 'status'], env);
  assert.equal(after.code, 3);
  assert.match(after.stdout, /running: false/);
});

test('a configured port that is taken is named with the variable to change', async (t) => {
  const { home, port } = await takenPort(t);
  const r = await nexus(['db', 'start'], { NEXUS_HOME: home, NEXUS_PG_DURABLE: 'false', NEXUS_PG_PORT: String(port) });
  assert.equal(r.code, 2);
  assert.match(r.stderr, new RegExp(`Port ${port} .*in use; set NEXUS_PG_PORT`));
});

test('nexus up brings everything up, writes endpoints.json, and on SIGTERM stops and removes it', async (t) => {
  const home = tempHome();
  const child = startNexus(['up'], { NEXUS_HOME: home, NEXUS_PG_DURABLE: 'false', NEXUS_GUARDIAN_PORT: '0', NEXUS_SYNC_PORT: '0', NEXUS_HEALTH_PORT: '0', NEXUS_CLARITY_PORT: '0' });
  t.after(() => {
    if (child.exitCode === null) child.kill('SIGKILL');
    rmSync(path.dirname(home), { recursive: true, force: true });
  });
  const file = path.join(home, 'endpoints.json');
  const endpoints = await waitFor('endpoints.json', () => {
    if (child.exitCode !== null) throw new Error(`nexus up exited with ${child.exitCode}`);
    return existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : undefined;
  }, 90_000).catch((err) => {
    throw new Error(`${err.message}\n${child.output()}`);
  });
  assert.equal(statSync(file).mode & 0o777, 0o600);
  assert.ok(existsSync(endpoints.ca), 'CA path exists');
  const schemas = await query(endpoints.database_url, `SELECT nspname FROM pg_namespace WHERE nspname IN ('staging','warehouse','mart_ops','mart_analytics','mart_field','nexus') ORDER BY 1`);
  assert.equal(schemas.length, 6);
  const roles = await query(endpoints.database_url, `SELECT count(*)::int AS n FROM pg_roles WHERE rolname IN ('nexus_owner','nexus_sync','nexus_etl','nexus_crawl','nexus_import','nexus_backup','nexus_health','clarity_reader')`);
  assert.deepEqual(roles, [{ n: 8 }]);
  for (const [name, url] of Object.entries(endpoints)) {
    if (name === 'database_url' || name === 'ca') continue;
    assert.match(String(url), /^https:\/\/127\.0\.0\.1:\d+/, `${name} is an HTTPS URL`);
  }
  // What a person reads: where each part answers; and each answers its liveness check.
  const banner = await waitFor('the banner', () => (child.output().includes('nexus is up') ? child.output() : undefined), 10_000);
  assert.match(banner, new RegExp(`Clarity \\(reports\\) +${endpoints.clarity}\n`));
  assert.match(banner, new RegExp(`field web app +${endpoints.sync}/field/\n`));
  const ca = readFileSync(endpoints.ca);
  for (const name of ['guardian', 'sync', 'clarity']) {
    const res = await httpGet(`${endpoints[name]}/healthz`, ca);
    assert.deepEqual([res.status, JSON.parse(res.text)], [200, { status: 'ok' }], `${name} /healthz`);
  }
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  child.kill('SIGTERM');
  assert.equal(await exited, 0, child.output());
  assert.equal(existsSync(file), false, 'endpoints.json removed');
  const status = await nexus(['db', 'status', '--json'], { NEXUS_HOME: home });
  assert.equal(JSON.parse(status.stdout).running, false, 'the cluster nexus up started is stopped');
});

test('nexus up with a service port already taken: a sentence naming the port and the setting, no stack, the database stopped again', async (t) => {
  const { home, port } = await takenPort(t);
  const r = await nexus(['up'], { NEXUS_HOME: home, NEXUS_PG_DURABLE: 'false', NEXUS_GUARDIAN_PORT: '0', NEXUS_SYNC_PORT: String(port), NEXUS_HEALTH_PORT: '0', NEXUS_CLARITY_PORT: '0' });
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stderr, new RegExp(`nexus: sync cannot start: 127\\.0\\.0\\.1:${port} is already in use; .* or set NEXUS_SYNC_PORT \\(0 picks a free port\\)\\.`));
  assert.doesNotMatch(r.stderr, /internal error|at .*\.ts:\d+/);
  const status = await nexus(['db', 'status', '--json'], { NEXUS_HOME: home });
  assert.equal(JSON.parse(status.stdout).running, false, 'the cluster nexus up started is stopped again');
});

test('a service that needs no database (Guardian on the gate) runs alone', async (t) => {
  const home = tempHome();
  const port = await new Promise<number>((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(p));
    });
  });
  const child = startNexus(['guardian'], { NEXUS_HOME: home, NEXUS_GUARDIAN_PORT: String(port) });
  t.after(() => {
    if (child.exitCode === null) child.kill('SIGKILL');
    rmSync(path.dirname(home), { recursive: true, force: true });
  });
  const ca = path.join(home, 'tls', 'ca.crt');
  const body = await waitFor('guardian health', async () => {
    if (child.exitCode !== null) throw new Error(`nexus guardian exited: ${child.output()}`);
    if (!existsSync(ca)) return undefined;
    return new Promise<string | undefined>((resolve) => {
      https.get({ host: '127.0.0.1', port, path: '/guardian/v1/health', ca: readFileSync(ca) }, (res) => {
        let b = '';
        res.on('data', (d) => (b += d));
        res.on('end', () => resolve(res.statusCode === 200 ? b : undefined));
      }).on('error', () => resolve(undefined));
    });
  });
  assert.ok(body.length > 0);
  assert.equal(existsSync(path.join(home, 'pg')), false, 'no database was started');
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  child.kill('SIGTERM');
  assert.equal(await exited, 0);
});
