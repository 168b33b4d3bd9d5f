// The device's view of the server: Guardian (enrol, token) and nexus-sync,
// with the retry rules of SYNC_PROTOCOL §6: network errors, 5xx and 429 are
// retried with capped exponential backoff and jitter; a 401 fetches a new
// token once, then the request is retried; anything else is the caller's.

import { PROTOCOL_VERSION, type EnrollResponse, type Problem, type TokenResponse } from '../protocol/index.ts';
import { backoffDelay, DEFAULT_RETRY, sleep, type RetryPolicy } from './backoff.ts';
import { FieldError } from './errors.ts';
import { bodyJson, bodyText, type HttpClient, type HttpResponse } from './http.ts';

export interface Endpoints {
  guardianUrl: string;
  syncUrl: string;
}

export interface Credentials {
  device_id: string;
  device_secret: string;
}

export interface ApiCall {
  method: string;
  path: string;
  json?: unknown;
  body?: Uint8Array;
  headers?: Record<string, string>;
}

export interface ApiStats {
  requests: number;
  retries: number;
  tokenRenewals: number;
  bytesSent: number;
  bytesReceived: number;
}

const enc = new TextEncoder();

export function problemOf(res: HttpResponse): Problem | undefined {
  const p = bodyJson<Problem>(res);
  return p && typeof p === 'object' && typeof p.code === 'string' ? p : undefined;
}

export function httpError(res: HttpResponse, what: string): FieldError {
  const p = problemOf(res);
  return new FieldError(p?.code ?? `http_${res.status}`, `${what}: ${res.status} ${p?.detail ?? bodyText(res).slice(0, 200)}`, { status: res.status, extra: p ?? {} });
}

const retryable = (status: number): boolean => status >= 500 || status === 429 || status === 408;

export class Api {
  readonly http: HttpClient;
  readonly endpoints: Endpoints;
  readonly retry: RetryPolicy;
  readonly stats: ApiStats = { requests: 0, retries: 0, tokenRenewals: 0, bytesSent: 0, bytesReceived: 0 };
  credentials: Credentials | undefined;
  private token: string | undefined;

  constructor(http: HttpClient, endpoints: Endpoints, retry: RetryPolicy = DEFAULT_RETRY) {
    this.http = http;
    this.endpoints = { guardianUrl: endpoints.guardianUrl.replace(/\/+$/, ''), syncUrl: endpoints.syncUrl.replace(/\/+$/, '') };
    this.retry = retry;
  }

  /** One request with network/5xx retries; returns the final response (any status below 500 or the last 5xx). */
  async send(url: string, call: Omit<ApiCall, 'path'>, auth: boolean): Promise<HttpResponse> {
    const body = call.json !== undefined ? enc.encode(JSON.stringify(call.json)) : call.body;
    for (let attempt = 0; ; attempt++) {
      const headers: Record<string, string> = { 'nexus-protocol': String(PROTOCOL_VERSION), ...call.headers };
      if (call.json !== undefined) headers['content-type'] = 'application/json';
      if (auth) headers.authorization = `Bearer ${await this.accessToken()}`;
      let res: HttpResponse | undefined;
      let failure: unknown;
      try {
        this.stats.requests++;
        res = await this.http.request({ method: call.method, url, headers, ...(body !== undefined ? { body } : {}) });
        this.stats.bytesSent += body?.byteLength ?? 0;
        this.stats.bytesReceived += res.body.byteLength;
      } catch (err) {
        failure = err;
      }
      if (res && !retryable(res.status)) return res;
      if (attempt + 1 >= this.retry.attempts) {
        if (res) return res;
        throw new FieldError('network_unavailable', `${call.method} ${url}: ${(failure as Error)?.message ?? failure}`, { cause: failure });
      }
      this.stats.retries++;
      const after = res?.headers['retry-after'] ? Number(res.headers['retry-after']) * 1000 : 0;
      await (this.retry.sleep ?? sleep)(Math.max(Number.isFinite(after) ? Math.min(after, this.retry.capMs) : 0, backoffDelay(this.retry, attempt)));
    }
  }

  /** A sync API call with the token rule: on 401, one new token, one more try. */
  async call(call: ApiCall): Promise<HttpResponse> {
    const url = this.endpoints.syncUrl + call.path;
    let res = await this.send(url, call, true);
    if (res.status === 401) {
      this.token = undefined;
      this.stats.tokenRenewals++;
      res = await this.send(url, call, true);
    }
    if (res.status === 401) throw httpError(res, `${call.method} ${call.path}`);
    return res;
  }

  async enroll(code: string, deviceName?: string): Promise<EnrollResponse> {
    const res = await this.send(`${this.endpoints.guardianUrl}/guardian/v1/enroll`, { method: 'POST', json: { enrollment_code: code, ...(deviceName ? { device_name: deviceName } : {}) } }, false);
    if (res.status !== 201) throw httpError(res, 'enrolment failed');
    return bodyJson<EnrollResponse>(res)!;
  }

  async accessToken(): Promise<string> {
    if (this.token) return this.token;
    if (!this.credentials) throw new FieldError('not_initialised', 'no device credentials');
    const res = await this.send(`${this.endpoints.guardianUrl}/guardian/v1/token`, { method: 'POST', json: this.credentials }, false);
    if (res.status !== 200) throw httpError(res, 'token request failed');
    this.token = bodyJson<TokenResponse>(res)!.access_token;
    return this.token;
  }

  /** The current token (for tus requests made outside `call`). */
  currentToken(): string | undefined {
    return this.token;
  }

  dropToken(): void {
    this.token = undefined;
  }
}
