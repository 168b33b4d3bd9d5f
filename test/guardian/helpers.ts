// A real Guardian over real HTTPS, in a throwaway NEXUS_HOME per test file.

import { after } from 'node:test';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { createLocalJWKSet, jwtVerify, type JSONWebKeySet } from 'jose';
import { loadSettings, type Settings } from '../../src/core/settings.ts';
import { createLogger } from '../../src/core/log.ts';
import { startGuardianServer, type GuardianServer } from '../../src/guardian/index.ts';
import { TOKEN_ALGORITHM, TOKEN_AUDIENCE } from '../../src/protocol/index.ts';

export function tempHome(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'nexus-guardian-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

export function guardianSettings(home: string, env: Record<string, string> = {}): Settings {
  return loadSettings({ NEXUS_HOME: home, NEXUS_GUARDIAN_PORT: '0', NEXUS_LOG_LEVEL: 'warn', ...env }, home);
}

export interface TestGuardian {
  home: string;
  settings: Settings;
  server: GuardianServer;
  request(method: string, route: string, opts?: RequestOptions): Promise<HttpResult>;
}

/** Starts Guardian on an ephemeral port; stopped when the file's tests end. */
export async function startTestGuardian(env: Record<string, string> = {}): Promise<TestGuardian> {
  const home = tempHome();
  const settings = guardianSettings(home, env);
  const server = await startGuardianServer({ settings, log: createLogger(settings.logLevel) });
  after(() => server.close());
  const ca = readFileSync(server.caPath);
  return { home, settings, server, request: (method, route, opts = {}) => request(`${server.url}${route}`, method, ca, opts) };
}

export interface RequestOptions {
  /** An object is sent as JSON; a string as is. */
  body?: unknown;
  headers?: Record<string, string>;
}

export interface HttpResult {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  json: any; // eslint-disable-line @typescript-eslint/no-explicit-any -- assertions read arbitrary members
}

/** HTTPS with the server verified against our CA (no rejectUnauthorized: false anywhere). */
export function request(url: string, method: string, ca: Buffer, opts: RequestOptions = {}): Promise<HttpResult> {
  const body = opts.body === undefined ? undefined : typeof opts.body === 'string' ? opts.body : JSON.stringify(opts.body);
  const headers: Record<string, string> = {
    ...(body !== undefined ? { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)) } : {}),
    ...opts.headers,
  };
  return new Promise((resolve, reject) => {
    const req = https.request(url, { method, ca, headers, agent: false }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d) => (text += d));
      res.on('end', () => {
        let json: unknown;
        try {
          json = JSON.parse(text);
        } catch {
          json = undefined;
        }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json });
      });
    });
    req.on('error', reject);
    if (body !== undefined) req.write(body);
    req.end();
  });
}

/** Verifies a token the way the sync API must: against the served JWKS, algorithm allow-listed. */
export async function verifyWithServedJwks(g: TestGuardian, token: string) {
  const res = await g.request('GET', '/guardian/v1/jwks.json');
  const set = createLocalJWKSet(res.json as JSONWebKeySet);
  return jwtVerify(token, set, { algorithms: [TOKEN_ALGORITHM], audience: TOKEN_AUDIENCE, issuer: g.settings.tokenIssuer });
}
