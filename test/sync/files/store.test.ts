// The file store's logic without HTTP: limits counted on the bytes
// themselves (HTTP cannot lie about Content-Length, a caller can), the
// settings, and what the store reports as missing.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { loadSettings } from '../../../src/core/settings.ts';
import { FileStore } from '../../../src/sync/files/store.ts';
import { receiveFile } from '../../../src/sync/files/receive.ts';
import { parseRange } from '../../../src/sync/files/range.ts';
import { parseUploadChecksum } from '../../../src/sync/files/checksum.ts';
import { testDatabase } from '../../helpers/db.ts';
import { sha256 } from './helpers.ts';

const t = await testDatabase();
const dir = mkdtempSync(path.join(os.tmpdir(), 'nexus-files-'));
const store = new FileStore(dir, t.db.pool('nexus_sync'));
const policy = { maxBytes: 1000, contentTypes: ['application/pdf'] };
test.after(() => rmSync(dir, { recursive: true, force: true }));

test('bytes beyond the limit are refused while streaming, with nothing kept', async () => {
  const body = Buffer.alloc(1200, 7);
  await assert.rejects(
    receiveFile(store, Readable.from([body.subarray(0, 600), body.subarray(600)]), { sha256: sha256(body), contentType: 'application/pdf', policy }),
    (err: { code?: string; status?: number }) => err.code === 'file_too_large' && err.status === 413,
  );
  assert.deepEqual(readdirSync(path.join(dir, 'tmp')), []);
  assert.deepEqual(await store.missing([sha256(body)]), [sha256(body)]);
});

test('a failing body stream leaves no temp file', async () => {
  async function* broken(): AsyncGenerator<Buffer> {
    yield Buffer.alloc(100);
    throw new Error('connection reset');
  }
  await assert.rejects(receiveFile(store, broken(), { sha256: 'a'.repeat(64), contentType: 'application/pdf', policy }), /connection reset/);
  assert.deepEqual(readdirSync(path.join(dir, 'tmp')), []);
});

test('missing() answers from nexus.files, once per hash, in order', async () => {
  const body = Buffer.from('%PDF-1.7 tiny');
  const sha = sha256(body);
  const r = await receiveFile(store, Readable.from([body]), { sha256: sha, contentType: 'application/pdf', policy });
  assert.deepEqual(r, { outcome: 'created', sizeBytes: body.length });
  assert.deepEqual(await store.missing(['b'.repeat(64), sha, 'b'.repeat(64)]), ['b'.repeat(64)]);
  assert.deepEqual(await store.missing([]), []);
  assert.equal((await store.get(sha))?.sizeBytes, body.length);
  const etl = await t.query('nexus_etl', 'SELECT sha256 FROM nexus.files');
  assert.deepEqual(etl, [{ sha256: sha }]);
  await assert.rejects(t.query('nexus_sync', 'DELETE FROM nexus.files'), /permission denied/);
});

test('settings: files dir under NEXUS_HOME, limit and content types', () => {
  const home = path.join(os.tmpdir(), 'nexus-home-x');
  const d = loadSettings({ NEXUS_HOME: home }, os.tmpdir());
  assert.equal(d.filesDir, path.join(home, 'files'));
  assert.equal(d.fileMaxBytes, 64 * 1024 * 1024);
  assert.deepEqual(d.fileContentTypes, ['application/pdf', 'image/jpeg']);
  const set = loadSettings({ NEXUS_HOME: home, NEXUS_FILES_DIR: '/srv/files', NEXUS_FILE_MAX_BYTES: '1000', NEXUS_FILE_CONTENT_TYPES: 'Image/JPEG, image/heic' }, os.tmpdir());
  assert.equal(set.filesDir, '/srv/files');
  assert.equal(set.fileMaxBytes, 1000);
  assert.deepEqual(set.fileContentTypes, ['image/jpeg', 'image/heic']);
  assert.throws(() => loadSettings({ NEXUS_FILE_CONTENT_TYPES: 'pdf' }, os.tmpdir()), /NEXUS_FILE_CONTENT_TYPES/);
  assert.throws(() => loadSettings({ NEXUS_FILE_MAX_BYTES: '0' }, os.tmpdir()), /NEXUS_FILE_MAX_BYTES/);
});

test('ranges', () => {
  assert.deepEqual(parseRange(undefined, 10), { kind: 'full' });
  assert.deepEqual(parseRange('bytes=2-4', 10), { kind: 'partial', start: 2, end: 4 });
  assert.deepEqual(parseRange('bytes=-3', 10), { kind: 'partial', start: 7, end: 9 });
  assert.deepEqual(parseRange('bytes=-30', 10), { kind: 'partial', start: 0, end: 9 });
  assert.deepEqual(parseRange('bytes=8-', 10), { kind: 'partial', start: 8, end: 9 });
  assert.deepEqual(parseRange('bytes=10-', 10), { kind: 'unsatisfiable' });
  assert.deepEqual(parseRange('bytes=0-', 0), { kind: 'unsatisfiable' });
  assert.deepEqual(parseRange('bytes=5-2', 10), { kind: 'full' });
  assert.deepEqual(parseRange('bytes=0-1,3-4', 10), { kind: 'full' });
});

test('Upload-Checksum parsing', () => {
  assert.equal(parseUploadChecksum(undefined), undefined);
  const c = parseUploadChecksum(`sha1 ${Buffer.alloc(20, 1).toString('base64')}`);
  assert.equal(c?.algorithm, 'sha1');
  assert.throws(() => parseUploadChecksum(`sha1 ${Buffer.alloc(32).toString('base64')}`), /20 bytes/);
  assert.throws(() => parseUploadChecksum(`crc32 AAAA`), /not supported/);
  assert.throws(() => parseUploadChecksum('sha256'), /Upload-Checksum/);
});
