// One HTTPS request from a test, its whole answer read: status, headers, the
// body as text and, when it parses, as JSON.

import https from 'node:https';

export interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  json: any; // eslint-disable-line @typescript-eslint/no-explicit-any -- assertions read arbitrary members
}

/** `target` as a URL (normalised) or as request options (a `path` is sent exactly as given). */
export function sendHttps(target: URL | https.RequestOptions, options: https.RequestOptions, body?: string | Buffer): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const done = (res: import('node:http').IncomingMessage) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', reject);
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let json: unknown;
        try {
          json = text ? JSON.parse(text) : undefined;
        } catch {
          json = undefined;
        }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json });
      });
    };
    const req = target instanceof URL ? https.request(target, options, done) : https.request({ ...target, ...options }, done);
    req.on('error', reject);
    req.end(body);
  });
}
