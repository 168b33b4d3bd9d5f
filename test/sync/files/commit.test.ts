// Filing under load, without HTTP: many commits at once into the same fresh
// fan-out folders (from two stores on one folder, as two processes would),
// and the streaming writer of PUT with odd chunk sizes, past its batch and
// write-back thresholds, byte for byte.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { FileStore } from '../../../src/sync/files/store.ts';
import { receiveFile } from '../../../src/sync/files/receive.ts';
import { testDatabase } from '../../helpers/db.ts';
import { sha256 } from './helpers.ts';

const t = await testDatabase();
const dir = mkdtempSync(path.join(os.tmpdir(), 'nexus-commit-'));
const stores = [new FileStore(dir, t.db.pool('nexus_sync')), new FileStore(dir, t.db.pool('nexus_sync'))];
const prov = { contentType: 'application/pdf', via: 'put' as const };
test.after(() => rmSync(dir, { recursive: true, force: true }));

/** A made-up name under the given 4-hex fan-out prefix (commit trusts its caller to have checked the hash). */
function nameUnder(prefix: string): string {
  return prefix + randomBytes(30).toString('hex');
}

test('concurrent commits into the same new fan-out folders all succeed', async () => {
  for (let round = 0; round < 20; round++) {
    // Fresh folders each round: <aa>/00, <aa>/01 and <aa>/02 share the new parent <aa>.
    const aa = round.toString(16).padStart(2, '0');
    const prefixes = ['00', '01', '02'].map((bb) => aa + bb);
    const jobs = Array.from({ length: 24 }, (_, i) => ({ store: stores[i % 2]!, sha: nameUnder(prefixes[i % 3]!) }));
    const tmps = await Promise.all(
      jobs.map(async (j) => {
        const tmp = await j.store.tempPath('put');
        writeFileSync(tmp, j.sha);
        return tmp;
      }),
    );
    const results = await Promise.allSettled(jobs.map((j, i) => j.store.commit(tmps[i]!, j.sha, j.sha.length, prov)));
    const failed = results.filter((r) => r.status === 'rejected').map((r) => String((r as PromiseRejectedResult).reason));
    assert.deepEqual(failed, [], `round ${round}`);
    assert.ok(results.every((r) => r.status === 'fulfilled' && r.value === true));
    for (const j of jobs) assert.equal(readFileSync(stores[0]!.pathOf(j.sha), 'utf8'), j.sha);
  }
  assert.deepEqual(readdirSync(path.join(dir, 'tmp')), []);
  const { rows } = await t.db.pool('nexus_sync').query<{ n: string }>('SELECT count(*) AS n FROM nexus.files');
  assert.equal(Number(rows[0]!.n), 20 * 24);
});

test('a file where a fan-out folder belongs is still an error, and the temp file stays for the caller to discard', async () => {
  const sha = nameUnder('ffee');
  writeFileSync(path.join(dir, 'ff'), 'in the way');
  const tmp = await stores[0]!.tempPath('put');
  writeFileSync(tmp, 'x');
  await assert.rejects(stores[0]!.commit(tmp, sha, 1, prov), (err: NodeJS.ErrnoException) => err.code === 'EEXIST' || err.code === 'ENOTDIR');
  assert.equal(existsSync(tmp), true);
  await stores[0]!.discard(tmp);
  rmSync(path.join(dir, 'ff'));
});

test('PUT bytes arriving in odd-sized chunks are written in order, past the batch and write-back sizes', async () => {
  const policy = { maxBytes: 64 * 1024 * 1024, contentTypes: ['application/pdf'] };
  const body = randomBytes(13 * 1024 * 1024 + 123);
  const chunks: Buffer[] = [];
  // Sizes from 1 byte to 70 KB: tiny ones fill a writev's chunk budget, big ones its byte budget.
  for (let at = 0, i = 0; at < body.length; i++) {
    const n = i % 50 === 0 ? 1 + (i % 7) : 1 + ((i * 7919) % 70_000);
    chunks.push(body.subarray(at, at + n));
    at += n;
  }
  const sha = sha256(body);
  const r = await receiveFile(stores[1]!, Readable.from(chunks), { sha256: sha, contentType: 'application/pdf', policy });
  assert.deepEqual(r, { outcome: 'created', sizeBytes: body.length });
  assert.ok(readFileSync(stores[0]!.pathOf(sha)).equals(body));
  assert.deepEqual(readdirSync(path.join(dir, 'tmp')), []);
});

test('a wrong hash after many MiB leaves nothing behind', async () => {
  const policy = { maxBytes: 64 * 1024 * 1024, contentTypes: ['application/pdf'] };
  const body = randomBytes(10 * 1024 * 1024);
  const chunks = Array.from({ length: 160 }, (_, i) => body.subarray(i * 65536, (i + 1) * 65536));
  const wrong = sha256(Buffer.from('something else'));
  await assert.rejects(
    receiveFile(stores[0]!, Readable.from(chunks), { sha256: wrong, contentType: 'application/pdf', policy }),
    (err: { code?: string; status?: number }) => err.code === 'file_hash_mismatch' && err.status === 422,
  );
  assert.deepEqual(readdirSync(path.join(dir, 'tmp')), []);
  assert.equal(existsSync(stores[0]!.pathOf(wrong)), false);
  assert.deepEqual(await stores[0]!.missing([wrong]), [wrong]);
});
