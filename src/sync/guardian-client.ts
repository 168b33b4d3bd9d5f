// Reading Guardian's public documents (JWKS, revocation list) over HTTPS,
// trusting only our internal CA. Node's fetch cannot take a CA per request
// without the undici package, so this is node:https with `ca`.

import http from 'node:http';
import https from 'node:https';
import { NexusError } from '../core/errors.ts';
import { PROTOCOL_HEADER, PROTOCOL_VERSION } from '../protocol/index.ts';

const MAX_BYTES = 1024 * 1024;

function unavailable(url: string, why: string, cause?: unknown): NexusError {
  return new NexusError('guardian_unavailable', `Guardian (${url}) could not be read: ${why}`, { status: 503, cause });
}

export function getGuardianJson(url: string, ca: string | Buffer | undefined, timeoutMs = 5000): Promise<unknown> {
  const u = new URL(url);
  const mod = u.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    const req = mod.get(
      u,
      { headers: { accept: 'application/json', [PROTOCOL_HEADER]: String(PROTOCOL_VERSION) }, timeout: timeoutMs, ...(u.protocol === 'https:' && ca ? { ca } : {}) },
      (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (c: Buffer) => {
          size += c.length;
          if (size > MAX_BYTES) req.destroy(unavailable(url, 'the answer is too large'));
          else chunks.push(c);
        });
        res.on('error', (e) => reject(unavailable(url, e.message, e)));
        res.on('end', () => {
          if (res.statusCode !== 200) return reject(unavailable(url, `HTTP ${res.statusCode}`));
          try {
            resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')));
          } catch (e) {
            reject(unavailable(url, 'the answer is not JSON', e));
          }
        });
      },
    );
    req.on('timeout', () => req.destroy(unavailable(url, `no answer within ${timeoutMs} ms`)));
    req.on('error', (e) => reject(e instanceof NexusError ? e : unavailable(url, e.message, e)));
  });
}
