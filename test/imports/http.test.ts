// The import endpoint on its own Fastify instance over HTTPS (our CA): the
// admin token is checked on every request, the raw body is the file, and the
// answers are problem details with stable codes.

import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import https from 'node:https';
import { mkdtempSync, rmSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { testDatabase } from '../helpers/db.ts';
import { createHttpServer } from '../../src/core/http.ts';
import { createLogger } from '../../src/core/log.ts';
import { ensureTls, loadServerTls, caCertPath } from '../../src/tls/index.ts';
import { registerImportRoutes } from '../../src/imports/http.ts';

const t = await testDatabase();
const home = mkdtempSync(path.join(os.tmpdir(), 'nexus-import-http-'));
await ensureTls(home);
const TOKEN = 'x'.repeat(20) + 'import-token-1234';

async function serve(token: string | undefined, maxBytes = 1024 * 1024) {
  const app = createHttpServer({ log: createLogger('silent'), tls: loadServerTls(home) });
  registerImportRoutes(app, { db: t.db, token, maxBytes, tmpDir: path.join(home, 'uploads') });
  await app.listen({ host: '127.0.0.1', port: 0 });
  after(() => app.close());
  return `https://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
}
after(() => rmSync(home, { recursive: true, force: true }));
const ca = readFileSync(caCertPath(home));

function post(base: string, query: string, body: string | Buffer, headers: Record<string, string> = {}): Promise<{ status: number; json: any }> {
  return new Promise((resolve, reject) => {
    const req = https.request(`${base}/v1/imports?${query}`, { method: 'POST', ca, headers: { 'content-type': 'text/csv', ...headers } }, (res) => {
      let text = '';
      res.on('data', (d) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode!, json: text ? JSON.parse(text) : undefined }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

const auth = { authorization: `Bearer ${TOKEN}` };

test('without the right token: 401 problem details, nothing imported', async () => {
  const base = await serve(TOKEN);
  for (const headers of [{}, { authorization: 'Bearer wrong' }, { authorization: `Basic ${TOKEN}` }] as Array<Record<string, string>>) {
    const r = await post(base, 'source=web&file_name=a.csv', 'a\n1\n', headers);
    assert.equal(r.status, 401);
    assert.equal(r.json.code, 'unauthorized');
  }
  const [n] = await t.query<{ n: number }>('admin', "SELECT count(*)::int AS n FROM nexus.imports WHERE source = 'web'");
  assert.equal(n!.n, 0);
});

test('no token configured: the endpoint refuses everyone (503)', async () => {
  const base = await serve(undefined);
  const r = await post(base, 'source=web&file_name=a.csv', 'a\n1\n', auth);
  assert.equal(r.status, 503);
  assert.equal(r.json.code, 'import_endpoint_disabled');
});

test('upload → 201 with the summary; the same file again → 409; force=true → 201; JSON bodies are files too', async () => {
  const base = await serve(TOKEN);
  const csv = 'id,name\n1,a\n2\n3,c\n';
  const r = await post(base, 'source=web&file_name=people.csv', csv, auth);
  assert.equal(r.status, 201, JSON.stringify(r.json));
  assert.equal(r.json.rows_loaded, 2);
  assert.deepEqual(r.json.rejects.map((x: { line: number; code: string }) => [x.line, x.code]), [[3, 'ragged_row']]);
  const again = await post(base, 'source=web&file_name=people.csv', csv, auth);
  assert.equal(again.status, 409);
  assert.equal(again.json.code, 'import_duplicate');
  assert.equal(again.json.import_id, r.json.import_id);
  const forced = await post(base, 'source=web&file_name=people.csv&force=true', csv, auth);
  assert.equal(forced.status, 201);
  const ndjson = await post(base, 'source=web&format=ndjson', '{"x":1}\n{"x":2}\n', { ...auth, 'content-type': 'application/json' });
  assert.equal(ndjson.status, 201, JSON.stringify(ndjson.json));
  assert.equal(ndjson.json.rows_loaded, 2);
  const [via] = await t.query<{ n: number }>('admin', "SELECT count(*)::int AS n FROM nexus.imports WHERE via = 'http' AND status = 'done'");
  assert.equal(via!.n, 3);
});

test('bad requests: no source 400, unknown format 400, wrong content 415, too large 413', async () => {
  const base = await serve(TOKEN, 1000);
  assert.equal((await post(base, 'file_name=a.csv', 'a\n1\n', auth)).status, 400);
  const fmt = await post(base, 'source=web&file_name=a.bin', 'a\n1\n', auth);
  assert.equal(fmt.status, 400);
  assert.equal(fmt.json.code, 'import_format_unknown');
  const mismatch = await post(base, 'source=web&file_name=a.csv', '[{"a":1}]', auth);
  assert.equal(mismatch.status, 415);
  assert.equal(mismatch.json.code, 'import_format_mismatch');
  const big = await post(base, 'source=web&file_name=big.csv', 'a\n' + '1\n'.repeat(2000), auth);
  assert.equal(big.status, 413);
  assert.equal(big.json.code, 'request_too_large');
});
