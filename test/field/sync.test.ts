// The sync engine against a real server: push, files, pull, parameters,
// the conflict rules of §6, dead letters, and the seq recoveries.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { payloadSha256, sha256Hex, uuidv7, type PushOp } from '../../src/protocol/index.ts';
import {
  addPatient, addSession, attach, deletePatient, editPatient, initDevice, listDeadLetters, outboxSeqs, readMeta, readPatient, sync, deviceStatus,
} from '../../src/field/index.ts';
import { nodeFs } from '../../src/field/node.ts';
import { caCertPath } from '../../src/tls/index.ts';
import { pullChanges } from '../../src/field/pull.ts';
import { writeOp } from '../../src/field/outbox.ts';
import { fieldStack, staged } from './stack.ts';
import { JPEG, PDF } from './helpers.ts';

const s = await fieldStack();

/** Two devices that both hold one patient: created on a, synced through the server, pulled by b. */
async function sharedPatient(first_name: string) {
  const a = await s.device();
  const b = await s.device();
  const p = await addPatient(a.device, { first_name });
  await sync(a);
  await s.settle();
  await sync(b);
  return { a, b, p };
}

test('edits reach staging exactly once, files are uploaded, another device pulls everything', async () => {
  const a = await s.device();
  const b = await s.device();
  const p = await addPatient(a.device, { first_name: 'Ada', site: 'north' });
  const sess = await addSession(a.device, p, { type: 'home_visit' });
  await editPatient(a.device, p, { phone: '1' });
  const doc = await attach(a.device, p, { bytes: PDF, fileName: 'r.pdf' });
  const img = await attach(a.device, p, { bytes: JPEG });
  const r = await sync(a);
  assert.equal(r.push.applied, 5);
  assert.equal(r.push.uploaded, 2);
  assert.deepEqual(await outboxSeqs(a.device.fs), []);
  const st = await staged(s, a.device.state.device_id);
  assert.deepEqual(st.seqs, [1, 2, 3, 4, 5]);
  assert.ok([...st.byOp.values()].every((n) => n === 1));
  const meta = await readMeta(a.device.fs, p);
  assert.equal(meta.versions[p]!.version, st.rows[2]!.ingest_id, 'the patient\u2019s known version is its latest push');
  assert.equal(meta.versions[sess]!.version, st.rows[1]!.ingest_id);
  const files = await s.t.query<{ n: number }>('admin', 'SELECT count(*)::int AS n FROM nexus.files WHERE sha256 = ANY($1)', [[doc.sha256, img.sha256]]);
  assert.equal(files[0]!.n, 2);
  await s.t.query('admin', "INSERT INTO nexus.parameters (key, value) VALUES ('sites', '[\"north\"]') ON CONFLICT (key) DO UPDATE SET value = excluded.value");

  await s.settle();
  const rb = await sync(b);
  assert.equal(rb.pull.applied, 4, 'patient, session, document, image');
  assert.deepEqual(await readPatient(b.device, p), await readPatient(a.device, p));
  assert.deepEqual(readFileSync(path.join(b.dir, 'patients', p, 'documents', `${doc.entityId}.pdf`)), Buffer.from(PDF));
  assert.deepEqual(readFileSync(path.join(b.dir, 'patients', p, 'images', `${img.entityId}.jpg`)), Buffer.from(JPEG));
  assert.ok(existsSync(path.join(b.dir, 'patients', p, 'sessions', `${sess}.json`)));
  assert.ok(rb.parametersUpdated);
  assert.deepEqual(JSON.parse(readFileSync(path.join(b.dir, 'parameters.json'), 'utf8')).parameters.sites, ['north']);
  // A second sync is quiet, and a's own ops are not echoed back to it.
  const again = await sync(b);
  assert.equal(again.pull.changes, 0);
  assert.equal(again.parametersUpdated, false);
  const ra = await sync(a);
  assert.equal(ra.pull.applied, 0);
  assert.equal((await deviceStatus(b.device)).outbox.length, 0);
});

test('conflict: a pending local edit is never overwritten by a pull; both keep history; both converge', async () => {
  const { a, b, p } = await sharedPatient('Shared');
  // b edits offline; a edits and syncs.
  await editPatient(b.device, p, { phone: 'from-b' });
  await editPatient(a.device, p, { phone: 'from-a' });
  await sync(a);
  await s.settle();
  const pulled = await pullChanges(b.device, b.api);
  assert.equal(pulled.conflicts, 1);
  assert.equal((await readPatient(b.device, p))!.phone, 'from-b', 'the pending local edit stays');
  // b comes back: its op arrives later and wins by arrival order.
  await sync(b);
  await s.settle();
  await sync(a);
  assert.equal((await readPatient(a.device, p))!.phone, 'from-b');
  assert.equal((await readPatient(b.device, p))!.phone, 'from-b');
  const va = (await readMeta(a.device.fs, p)).versions[p]!.version;
  const vb = (await readMeta(b.device.fs, p)).versions[p]!.version;
  assert.equal(va, vb, 'both hold the same current version');
  const history = await s.t.query<{ n: number }>('admin', "SELECT count(*)::int AS n FROM staging.sync_inbound WHERE entity_id = $1 AND status = 'applied'", [p]);
  assert.equal(history[0]!.n, 3, 'the server keeps every version');
});

test('a change deferred by a pending edit is applied once that edit turns out older (resend answered duplicate)', async () => {
  const { a, b, p } = await sharedPatient('Late');
  // b's edit reaches the server but b never hears back (its outbox file stays): simulate by pushing a copy.
  await editPatient(b.device, p, { phone: 'b-first' });
  const [seq] = await outboxSeqs(b.device.fs);
  const op = JSON.parse(readFileSync(path.join(b.dir, 'outbox', readdirSync(path.join(b.dir, 'outbox'))[0]!), 'utf8')) as PushOp;
  assert.equal(op.seq, seq);
  const res = await b.api.call({ method: 'POST', path: '/v1/sync/push', json: { ops: [op] } });
  assert.equal(res.status, 200);
  // a edits after that: a's version is the server's latest.
  await editPatient(a.device, p, { phone: 'a-later' });
  await sync(a);
  await s.settle();
  const r = await sync(b);
  assert.equal(r.push.duplicate, 1);
  assert.equal((await readPatient(b.device, p))!.phone, 'a-later', 'b converges to the server\u2019s latest');
});

test('local deletion is never sent and a later pull does not resurrect the patient', async () => {
  const { a, b, p } = await sharedPatient('Gone');
  const before = (await staged(s, b.device.state.device_id)).rows.length;
  await deletePatient(b.device, p);
  await sync(b);
  assert.equal((await staged(s, b.device.state.device_id)).rows.length, before, 'nothing sent for the deletion');
  await editPatient(a.device, p, { phone: 'still here' });
  await addSession(a.device, p, { type: 'phone_call' });
  await sync(a);
  await s.settle();
  const r = await sync(b);
  assert.equal(r.pull.tombstoned, 2);
  assert.ok(!existsSync(path.join(b.dir, 'patients', p)));
  assert.equal(await readPatient(b.device, p), null);
});

test('a rejected op goes to deadletter/ with the server\u2019s error and the queue goes on', async () => {
  const a = await s.device();
  const p = await addPatient(a.device, {});
  // A corrupt op (hash does not match), as a buggy app version might write.
  const bad: PushOp = { op_id: uuidv7(), seq: a.device.state.next_seq, entity: 'session', patient_id: p, entity_id: uuidv7(), schema_version: 1, base_version: null, recorded_at: new Date().toISOString(), payload_sha256: '0'.repeat(64), payload: { x: 1 } };
  await writeOp(a.device.fs, bad);
  a.device.state.next_seq++;
  await addSession(a.device, p, {});
  const r = await sync(a);
  assert.equal(r.push.applied, 2);
  assert.equal(r.push.rejected, 1);
  const dead = await listDeadLetters(a.device.fs);
  assert.equal(dead.length, 1);
  assert.equal(dead[0]!.error.code, 'payload_hash_mismatch');
  assert.equal(dead[0]!.op.op_id, bad.op_id);
  assert.deepEqual(await outboxSeqs(a.device.fs), []);
  assert.equal((await deviceStatus(a.device)).deadletters, 1);
});

test('409 seq_gap: the outbox is renumbered from expected_seq, nothing is lost or stored twice', async () => {
  const a = await s.device();
  const p = await addPatient(a.device, {});
  await sync(a);
  // Two ops written with seqs far ahead (a lost device.json would do this).
  a.device.state.next_seq = 10;
  await addSession(a.device, p, {});
  await addSession(a.device, p, {});
  const r = await sync(a);
  assert.equal(r.push.renumbered, 2);
  assert.equal(r.push.applied, 2);
  const st = await staged(s, a.device.state.device_id);
  assert.deepEqual(st.seqs, [1, 2, 3]);
  assert.equal(a.device.state.next_seq, 4);
});

test('409 seq_reused: a device folder restored from an old copy settles duplicates and renumbers the rest', async () => {
  const { cpSync, rmSync } = await import('node:fs');
  const { openDevice } = await import('../../src/field/index.ts');
  const { nodeFs } = await import('../../src/field/node.ts');
  const a = await s.device();
  const p = await addPatient(a.device, { n: 1 });
  await addSession(a.device, p, {});
  const backup = `${a.dir}.bak`;
  cpSync(a.dir, backup, { recursive: true });
  await addSession(a.device, p, {});
  await sync(a); // the server has 1..3
  rmSync(a.dir, { recursive: true });
  cpSync(backup, a.dir, { recursive: true });
  rmSync(backup, { recursive: true });
  const restored = await openDevice(nodeFs(a.dir), s.http, { retry: { attempts: 3, baseMs: 10, capMs: 50 } });
  await addSession(restored.device, p, { restored: true }); // seq 3 again, a different op
  const r = await sync(restored);
  assert.equal(r.push.duplicate, 2);
  assert.equal(r.push.applied, 1);
  const st = await staged(s, restored.device.state.device_id);
  assert.deepEqual(st.seqs, [1, 2, 3, 4]);
  assert.ok([...st.byOp.values()].every((n) => n === 1));
  assert.deepEqual(await outboxSeqs(restored.device.fs), []);
});

test('large files go through tus; an interrupted tus upload resumes from the server\u2019s offset', async () => {
  const a = await s.device();
  const b = await s.device();
  const p = await addPatient(a.device, {});
  const big = new Uint8Array(300 * 1024);
  big.set([0xff, 0xd8, 0xff, 0xe0]);
  for (let i = 4; i < big.length; i++) big[i] = (i * 7) & 0xff;
  const att = await attach(a.device, p, { bytes: big });
  // Start an upload of the first chunk only, as if the link died: the URL is remembered in uploads/.
  await a.api.accessToken();
  const partial = await a.api.http.tusUpload({
    endpoint: `${s.sync.url}/v1/uploads`, uploadUrl: null, bytes: big.subarray(0, 64 * 1024), metadata: { sha256: att.sha256, content_type: 'image/jpeg' },
    headers: () => ({ authorization: `Bearer ${a.api.currentToken()}` }), chunkSize: 64 * 1024,
    onUploadUrl: async () => undefined,
  });
  assert.equal(partial.ok, false, 'a short upload cannot finish (Upload-Length is the short size, hash mismatch)');
  const r = await sync(a, { tusThreshold: 100 * 1024, tusChunkSize: 64 * 1024 });
  assert.equal(r.push.uploaded, 1);
  assert.equal(r.push.uploadFailures, 0);
  assert.ok(!existsSync(path.join(a.dir, 'uploads', `${att.sha256}.json`)), 'the upload state is removed once done');
  await s.settle();
  await sync(b);
  assert.equal(sha256Hex(readFileSync(path.join(b.dir, 'patients', p, 'images', `${att.entityId}.jpg`))), att.sha256);
  void payloadSha256;
});

test('init finishes from the saved secret after a crash before device.json: same device, its address, no second code', async () => {
  const first = await s.device();
  const before = JSON.parse(readFileSync(path.join(first.dir, 'device.json'), 'utf8'));
  assert.match(before.wg_ip, /^\d+\.\d+\.\d+\.\d+$/);
  // The crash: the secret was written, nothing after it.
  for (const f of readdirSync(first.dir)) if (f !== 'secret.json') rmSync(path.join(first.dir, f), { recursive: true });
  const again = await initDevice(nodeFs(first.dir), s.http, {
    enrollmentCode: 'spent-or-never-valid',
    config: { guardian_url: s.guardian.url, sync_url: s.sync.url, ca_file: caCertPath(s.home) },
  });
  const after = JSON.parse(readFileSync(path.join(first.dir, 'device.json'), 'utf8'));
  assert.deepEqual([after.device_id, after.wg_ip], [before.device_id, before.wg_ip]);
  await addPatient(again.device, { first_name: 'Reborn' });
  assert.equal((await sync(again)).push.applied, 1);
});
