// Shared by the file tests: bytes with known hashes, raw HTTPS calls that
// stream bodies, and a document op that makes a file visible to a group.

import https from 'node:https';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import { push, makeOp, auth, type Stack, type Device, type Reply } from '../stack.ts';

export function sha256(b: Buffer): string {
  return createHash('sha256').update(b).digest('hex');
}

export function pdf(size = 10_000): { bytes: Buffer; sha: string } {
  const bytes = Buffer.concat([Buffer.from('%PDF-1.7\n'), randomBytes(Math.max(0, size - 9))]);
  return { bytes, sha: sha256(bytes) };
}

/** A document op (next seq of `d`) that refers to the file, pushed for `patientId`. */
export async function pushDocument(s: Stack, d: Device, seq: number, file: { sha: string; size: number }, patientId: string): Promise<Reply> {
  const payload = { sha256: file.sha, size: file.size, content_type: 'application/pdf', file_name: 'scan.pdf' };
  const op = makeOp(seq, { entity: 'document', patient_id: patientId, entity_id: randomUUID(), payload });
  return push(s, d, [op]);
}

export interface StreamReply extends Reply {
  body: Buffer;
}

/** One HTTPS request whose body may be a stream; resolves with the full reply. */
export function send(
  s: Pick<Stack, 'agent' | 'sync'>,
  method: string,
  path: string,
  token: string,
  opts: { headers?: Record<string, string>; body?: Buffer | Readable } = {},
): Promise<StreamReply> {
  const headers: Record<string, string> = { ...auth(token), ...opts.headers };
  if (Buffer.isBuffer(opts.body)) headers['content-length'] ??= String(opts.body.length);
  return new Promise((resolve, reject) => {
    const req = https.request(new URL(path, s.sync.url), { method, headers, agent: s.agent }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', reject);
      res.on('end', () => {
        const body = Buffer.concat(chunks);
        const text = body.toString('utf8');
        let json: unknown;
        try {
          json = text ? JSON.parse(text) : undefined;
        } catch {
          json = undefined;
        }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json, body });
      });
    });
    req.on('error', reject);
    if (opts.body instanceof Readable) opts.body.pipe(req);
    else req.end(opts.body);
  });
}

/**
 * Sends only the headers and waits for the answer: for requests the server
 * must refuse before reading a body (the body is never sent).
 */
export function headersOnly(s: Pick<Stack, 'agent' | 'sync'>, method: string, path: string, token: string, headers: Record<string, string>): Promise<StreamReply> {
  return new Promise((resolve, reject) => {
    const req = https.request(new URL(path, s.sync.url), { method, headers: { ...auth(token), ...headers }, agent: false, ca: (s.agent.options as https.AgentOptions).ca } as https.RequestOptions, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const body = Buffer.concat(chunks);
        req.destroy();
        let json: unknown;
        try {
          json = JSON.parse(body.toString('utf8'));
        } catch {
          json = undefined;
        }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text: body.toString('utf8'), json, body });
      });
    });
    req.on('error', reject);
    req.flushHeaders();
  });
}
