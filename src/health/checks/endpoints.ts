// The other services answer over HTTPS: GET <url>/healthz (every server
// made by src/core/http.ts has it), trusting our CA. 200 is up; no answer,
// a TLS error or any other status fails.

import https from 'node:https';
import { existsSync, readFileSync } from 'node:fs';
import { caCertPath } from '../../tls/index.ts';
import { result, type CheckContext, type CheckResult } from '../types.ts';

/** The services whose endpoints are watched; others (health itself) are not. */
export const WATCHED = ['guardian', 'sync'];

/** GET over HTTPS trusting `ca`: the status and the first 64 KiB of the body (gate.ts reads it). */
export function httpGet(url: string, ca: Buffer | undefined, timeoutMs = 5_000): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = https.get(url, { ...(ca ? { ca } : {}), timeout: timeoutMs }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (text += d.length + text.length < 65_536 ? d : ''));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on('error', reject);
  });
}

export async function endpointHealth(ctx: CheckContext): Promise<CheckResult[]> {
  const caFile = caCertPath(ctx.settings.home);
  const ca = existsSync(caFile) ? readFileSync(caFile) : undefined;
  const out: CheckResult[] = [];
  for (const name of WATCHED) {
    const base = ctx.endpoints[name];
    if (!base) continue;
    const t0 = Date.now();
    try {
      const { status: code } = await httpGet(`${base}/healthz`, ca);
      const ms = Date.now() - t0;
      out.push(result(`endpoint_${name}`, code === 200 ? 'ok' : 'fail', `${name} at ${base} answered ${code} in ${ms} ms`, ms));
    } catch (err) {
      out.push(result(`endpoint_${name}`, 'fail', `${name} at ${base} is unreachable: ${(err as Error).message}`));
    }
  }
  return out;
}
