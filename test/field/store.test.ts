// The device folder on real files: layout, outbox order and seq continuity,
// and crash safety — a crash injected at every mutating file-system call of
// a run of edits, in every way a write can end (not begun, torn, done), then
// recovery: each edit is there with its op, or neither is.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { payloadSha256, uuidv7, type PushOp } from '../../src/protocol/index.ts';
import {
  FieldDevice, addPatient, addSession, attach, deletePatient, editPatient, entityPath, outboxSeqs, readJson, readOp, readPatient, deviceStatus, type FieldFs,
} from '../../src/field/index.ts';
import { nodeFs } from '../../src/field/node.ts';
import { Crash, JPEG, PDF, crashingFs, offlineDevice, reopen, type CrashMode } from './helpers.ts';

async function allOps(fs: FieldFs): Promise<PushOp[]> {
  return Promise.all((await outboxSeqs(fs)).map(async (s) => (await readOp(fs, s))!));
}

/** Every invariant a reader relies on after recovery. */
async function checkConsistent(dir: string, fs: FieldFs, dev: FieldDevice): Promise<PushOp[]> {
  const ops = await allOps(fs);
  const seqs = ops.map((o) => o.seq);
  assert.deepEqual(seqs, seqs.map((_, i) => i + 1), 'outbox seqs are 1..n with no gap');
  assert.ok(dev.state.next_seq >= seqs.length + 1, 'next_seq is past every op');
  const newest = new Map(ops.map((o) => [o.entity_id, o]));
  for (const op of newest.values()) {
    assert.equal(op.payload_sha256, payloadSha256(op.payload));
    const file = entityPath(op.entity, op.patient_id, op.entity_id);
    if (op.entity === 'patient' || op.entity === 'session') {
      assert.deepEqual(await readJson(fs, file), op.payload, `${file} holds its newest op's payload`);
    } else {
      const bytes = await fs.read(file);
      assert.ok(bytes, `${file} exists`);
      assert.equal(payloadSha256(op.payload), op.payload_sha256);
    }
  }
  // Neither half of an edit alone: no attachment or session file without an op (nothing was pulled here).
  for (const p of readdirSync(path.join(dir, 'patients'))) {
    for (const sub of ['sessions', 'documents', 'images']) {
      const d = path.join(dir, 'patients', p, sub);
      if (!existsSync(d)) continue;
      for (const f of readdirSync(d)) {
        assert.ok(!f.endsWith('.tmp'), `no temp file left: ${f}`);
        assert.ok(newest.has(f.replace(/\.(json|pdf|jpg)$/, '')), `${sub}/${f} has its op`);
      }
    }
    if (existsSync(path.join(dir, 'patients', p, 'patient.json'))) assert.ok(newest.has(p), `patient ${p} has its op`);
  }
  assert.ok(!readdirSync(dir, { recursive: true }).some((f) => String(f).endsWith('.tmp')), 'no temp file anywhere');
  assert.ok(!existsSync(path.join(dir, 'journal')) || readdirSync(path.join(dir, 'journal')).length === 0, 'no open intent');
  // The patient index says what the folders hold.
  const folders = readdirSync(path.join(dir, 'patients')).sort();
  const indexFile = path.join(dir, 'patient-index.json');
  // No folder yet: the index is written with the first one.
  const index = (existsSync(indexFile) || folders.length ? JSON.parse(readFileSync(indexFile, 'utf8')) : { patients: [] }) as { patients: Array<{ patient_id: string; sha: string | null }> };
  assert.deepEqual(index.patients.map((e) => e.patient_id).sort(), folders, 'one index entry per folder');
  for (const e of index.patients) {
    const p = await readJson(fs, `patients/${e.patient_id}/patient.json`);
    assert.equal(e.sha, p ? payloadSha256(p) : null, `index entry of ${e.patient_id} matches patient.json`);
  }
  assert.deepEqual([...dev.patients.entries.keys()].sort(), folders);
  return ops;
}

const P = '0192f1d2-0000-7000-8000-00000000000a';
const S1 = '0192f1d2-0000-7000-8000-0000000000b1';
const S2 = '0192f1d2-0000-7000-8000-0000000000b2';

/** The scripted edits; each returns the entity id it wrote. */
const script: Array<(d: FieldDevice) => Promise<unknown>> = [
  (d) => addPatient(d, { patient_id: P, first_name: 'Ada', last_name: 'Berger', site: 'north' }),
  (d) => addSession(d, P, { session_id: S1, type: 'home_visit', status: 'completed' }),
  (d) => editPatient(d, P, { phone: '+49 30 1234567' }),
  (d) => attach(d, P, { bytes: PDF, fileName: 'referral.pdf' }),
  (d) => attach(d, P, { bytes: JPEG, fileName: 'wound.jpg' }),
  (d) => addSession(d, P, { session_id: S2, type: 'phone_call' }),
  (d) => editPatient(d, P, { care_level: 3 }),
];

test('edits lay out §6 files, each with one outbox op, in seq order from 1', async () => {
  const { dir, fs } = await offlineDevice();
  const dev = await FieldDevice.open(fs);
  for (const step of script) await step(dev);
  const ops = await checkConsistent(dir, fs, dev);
  assert.deepEqual(ops.map((o) => o.entity), ['patient', 'session', 'patient', 'document', 'image', 'session', 'patient']);
  assert.deepEqual(new Set(ops.map((o) => o.base_version)), new Set([null]), 'nothing known from the server yet');
  assert.ok(ops.every((o) => /^[0-9a-f]{8}-[0-9a-f]{4}-7/.test(o.op_id)), 'op ids are UUID v7');
  const patient = JSON.parse(readFileSync(path.join(dir, 'patients', P, 'patient.json'), 'utf8'));
  assert.equal(patient.phone, '+49 30 1234567');
  assert.equal(patient.care_level, 3);
  assert.deepEqual(readdirSync(path.join(dir, 'outbox')), ['000000000001.json', '000000000002.json', '000000000003.json', '000000000004.json', '000000000005.json', '000000000006.json', '000000000007.json']);
  const doc = ops[3]!;
  assert.deepEqual(readFileSync(path.join(dir, 'patients', P, 'documents', `${doc.entity_id}.pdf`)), Buffer.from(PDF));
  assert.equal(doc.payload.sha256, (await import('../../src/protocol/index.ts')).sha256Hex(PDF));
  assert.equal(doc.payload.content_type, 'application/pdf');
  assert.equal(ops[4]!.payload.content_type, 'image/jpeg');
  assert.equal(statSync(path.join(dir, 'secret.json')).mode & 0o777, 0o600, 'the secret is 0600');
  const st = await deviceStatus(dev);
  assert.equal(st.outbox.length, 7);
  assert.equal(st.outbox.oldest_seq, 1);
});

test('seq stays continuous across reopenings, even when device.json lags behind the outbox', async () => {
  const { dir, fs } = await offlineDevice();
  let dev = await FieldDevice.open(fs);
  await addPatient(dev, { patient_id: P });
  await addSession(dev, P, {});
  // device.json is not rewritten per edit: its next_seq is still 1 here.
  dev = await reopen(fs);
  assert.equal(dev.state.next_seq, 3);
  await addSession(dev, P, {});
  dev = await reopen(fs);
  await editPatient(dev, P, { x: 1 });
  await checkConsistent(dir, fs, dev);
  assert.deepEqual(await outboxSeqs(fs), [1, 2, 3, 4]);
});

test('a crash at every file-system step of every edit: after recovery both or neither, and editing goes on', async () => {
  // How many mutating calls the whole script makes without a crash.
  const probe = await offlineDevice();
  const counting = crashingFs(nodeFs(probe.dir), Number.MAX_SAFE_INTEGER, 'before');
  const d0 = await FieldDevice.open(counting);
  const opened = counting.calls();
  for (const step of script) await step(d0);
  const total = counting.calls();
  assert.ok(total - opened >= script.length * 2, `the script makes ${total - opened} writes`);

  let cases = 0;
  for (let at = opened + 1; at <= total; at++) {
    for (const mode of ['before', 'torn', 'after'] as CrashMode[]) {
      const { dir } = await offlineDevice();
      const fs = crashingFs(nodeFs(dir), at, mode);
      const dev = await FieldDevice.open(fs);
      let done = 0;
      try {
        for (const step of script) {
          await step(dev);
          done++;
        }
        assert.fail('the crash was not reached');
      } catch (err) {
        if (!(err instanceof Crash)) throw err;
      }
      const clean = nodeFs(dir);
      const after = await reopen(clean);
      const ops = await checkConsistent(dir, clean, after);
      assert.ok(ops.length === done || ops.length === done + 1, `at ${at}/${mode}: ${done} edits returned, ${ops.length} ops survive`);
      // The device goes on: the rest of the script, then everything is consistent and continuous.
      for (const step of script.slice(ops.length)) await step(after);
      const final = await checkConsistent(dir, clean, after);
      assert.equal(final.length, script.length, `at ${at}/${mode}: every edit is there exactly once`);
      cases++;
    }
  }
  assert.ok(cases >= 3 * (total - opened));
});

test('a device refuses to write after a failed write until it is reopened', async () => {
  const { dir } = await offlineDevice();
  const fs = crashingFs(nodeFs(dir), 1, 'before');
  const dev = await FieldDevice.open(fs);
  await assert.rejects(addPatient(dev, {}), Crash);
  await assert.rejects(addPatient(dev, {}), { code: 'reopen_required' });
});

test('local deletion: tombstone first, folder gone, no op, no further edits', async () => {
  const { dir, fs } = await offlineDevice();
  const dev = await FieldDevice.open(fs);
  const id = await addPatient(dev, { first_name: 'Del' });
  await addSession(dev, id, {});
  await deletePatient(dev, id);
  assert.ok(!existsSync(path.join(dir, 'patients', id)));
  assert.equal(await readPatient(dev, id), null);
  assert.deepEqual((await allOps(fs)).map((o) => o.entity), ['patient', 'session'], 'the deletion made no op');
  await assert.rejects(addSession(dev, id, {}), { code: 'patient_deleted' });
  const tomb = JSON.parse(readFileSync(path.join(dir, 'tombstones.json'), 'utf8'));
  assert.equal(tomb[0].patient_id, id);
  // A crash between tombstone and folder removal: recovery finishes the removal.
  const other = await addPatient(dev, {});
  await reopen(nodeFs(dir)); // settles next_seq in device.json, so the open below writes nothing
  const fs2 = crashingFs(nodeFs(dir), 2, 'before');
  const dev2 = await FieldDevice.open(fs2);
  assert.equal(fs2.calls(), 0);
  await assert.rejects(deletePatient(dev2, other), Crash);
  const dev3 = await reopen(nodeFs(dir));
  assert.ok(dev3.isTombstoned(other));
  assert.ok(!existsSync(path.join(dir, 'patients', other)));
});

test('bad input gets clear errors', async () => {
  const { fs } = await offlineDevice();
  const dev = await FieldDevice.open(fs);
  await assert.rejects(addSession(dev, 'not-a-uuid', {}), { code: 'invalid_id' });
  await assert.rejects(editPatient(dev, uuidv7(), { a: 1 }), { code: 'patient_not_found' });
  await assert.rejects(attach(dev, uuidv7(), { bytes: new Uint8Array([1, 2, 3]) }), { code: 'unsupported_content_type' });
  await assert.rejects(FieldDevice.open(nodeFs('/nonexistent-nexus-field')), { code: 'not_initialised' });
});
