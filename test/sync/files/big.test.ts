// A 1 GiB PUT streams: the server hashes and writes as bytes arrive, so its
// memory does not grow with the file. Client and server share this process,
// so the bound covers both (each side holds only stream buffers).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { statSync } from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { startStack, enrolDevice, type Stack } from '../stack.ts';
import { send } from './helpers.ts';

const GiB = 1024 * 1024 * 1024;
const CHUNK = 1024 * 1024;
const s: Stack = await startStack({ NEXUS_FILE_MAX_BYTES: String(2 * GiB) });
const d = await enrolDevice(s, { groups: ['g1'] });

// 1 GiB made on the fly: one random block, stamped with the chunk number so no two chunks are equal.
const block = randomBytes(CHUNK);
function chunkAt(i: number): Buffer {
  const b = Buffer.from(block);
  b.writeUInt32BE(i, 0);
  return b;
}
function bytes(): Readable {
  let i = 0;
  return new Readable({
    read() {
      this.push(i < GiB / CHUNK ? chunkAt(i++) : null);
    },
  });
}

test('a 1 GiB PUT streams to disk; server memory does not grow with the file', { timeout: 120_000 }, async () => {
  const h = createHash('sha256');
  for (let i = 0; i < GiB / CHUNK; i++) h.update(chunkAt(i));
  const sha = h.digest('hex');

  // Warm up the connection and the route before taking the baseline.
  await send(s, 'POST', '/v1/files/check', d.token, { headers: { 'content-type': 'application/json' }, body: Buffer.from(JSON.stringify({ sha256: [sha] })) });
  const baseline = process.memoryUsage().rss;
  let peak = baseline;
  const sampler = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
  }, 25);
  const t0 = Date.now();
  let r;
  try {
    r = await send(s, 'PUT', `/v1/files/${sha}`, d.token, { headers: { 'content-type': 'application/pdf', 'content-length': String(GiB) }, body: bytes() });
  } finally {
    clearInterval(sampler);
  }
  const seconds = (Date.now() - t0) / 1000;
  assert.equal(r.status, 201, r.text);
  assert.equal(r.json.size, GiB);
  assert.equal(statSync(path.join(s.settings.filesDir, sha.slice(0, 2), sha.slice(2, 4), sha)).size, GiB);
  const growthMb = (peak - baseline) / 1024 / 1024;
  console.log(`1 GiB PUT in ${seconds.toFixed(1)} s (${(1024 / seconds).toFixed(0)} MiB/s); RSS growth ${growthMb.toFixed(1)} MB`);
  assert.ok(growthMb < 100, `RSS grew by ${growthMb.toFixed(1)} MB`);
});
