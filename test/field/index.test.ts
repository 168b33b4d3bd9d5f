// The patient index and the cheap recovery pass: opening a device folder
// with many patients touches no patient folder unless a crash left an
// intent there; a missing or stale index is rebuilt from the folders (which
// is also when leftovers of older versions are cleaned).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { payloadSha256, uuidv7 } from '../../src/protocol/index.ts';
import { FieldDevice, addPatient, addSession, attach, deletePatient, editPatient, reconcileIndex, type FieldFs } from '../../src/field/index.ts';
import { nodeFs } from '../../src/field/node.ts';
import { JPEG, offlineDevice, reopen } from './helpers.ts';

/** nodeFs that records the path of every call. */
function tracingFs(inner: FieldFs): FieldFs & { paths: string[] } {
  const paths: string[] = [];
  const t = <A extends unknown[], R>(fn: (p: string, ...a: A) => Promise<R>) => (p: string, ...a: A): Promise<R> => {
    paths.push(p);
    return fn(p, ...a);
  };
  return {
    paths,
    read: t(inner.read), list: t(inner.list), stat: t(inner.stat), mkdir: t(inner.mkdir), remove: t(inner.remove),
    writeAtomic: t(inner.writeAtomic), rename: (a, b) => (paths.push(a, b), inner.rename(a, b)),
  };
}

async function manyPatients(n: number): Promise<{ dir: string; ids: string[] }> {
  const { dir, fs } = await offlineDevice();
  const dev = await FieldDevice.open(fs);
  const ids: string[] = [];
  for (let i = 0; i < n; i++) ids.push(await addPatient(dev, { first_name: `P${i}`, last_name: i % 2 ? 'Berger' : 'Weber', address: { city: 'Berlin' } }));
  await addSession(dev, ids[0]!, {});
  return { dir, ids };
}

test('opening a device reads the index and touches no patient folder', async () => {
  const { dir, ids } = await manyPatients(40);
  const fs = tracingFs(nodeFs(dir));
  const dev = await FieldDevice.open(fs);
  // Only the pending session's file is read (its op is in the outbox); patient ops are checked against the index.
  const inFolders = fs.paths.filter((p) => p.startsWith('patients/'));
  assert.deepEqual(inFolders.map((p) => p.split('/')[2]), ['sessions'], 'no other call inside a patient folder');
  assert.equal(dev.recovery!.foldersChecked, 0);
  assert.equal(dev.recovery!.indexRebuilt, false);
  assert.equal(dev.patients.patients().length, 40);
  const e = dev.patients.get(ids[1]!)!;
  assert.deepEqual({ first: e.first_name, last: e.last_name, address: e.address }, { first: 'P1', last: 'Berger', address: 'Berlin' });
  // Edits and deletes keep it current on disk.
  await editPatient(dev, ids[1]!, { last_name: 'Braun' });
  await deletePatient(dev, ids[2]!);
  const again = await reopen(nodeFs(dir));
  assert.equal(again.patients.get(ids[1]!)!.last_name, 'Braun');
  assert.equal(again.patients.get(ids[2]!), undefined);
  assert.equal(again.recovery!.foldersChecked, 0);
});

test('a missing index is rebuilt from the folders, cleaning what older versions could leave', async () => {
  const { dir, ids } = await manyPatients(5);
  rmSync(path.join(dir, 'patient-index.json'));
  // An old-style temp file next to its target, and attachment bytes no op names.
  writeFileSync(path.join(dir, 'patients', ids[0]!, '.patient.json.abc123.tmp'), '{"torn');
  mkdirSync(path.join(dir, 'patients', ids[3]!, 'images'), { recursive: true });
  writeFileSync(path.join(dir, 'patients', ids[3]!, 'images', `${uuidv7()}.jpg`), JPEG);
  const dev = await reopen(nodeFs(dir));
  assert.equal(dev.recovery!.indexRebuilt, true);
  assert.equal(dev.recovery!.foldersChecked, 5);
  assert.equal(dev.recovery!.tempFilesRemoved, 1);
  assert.equal(dev.recovery!.rolledBack, 1);
  assert.deepEqual(readdirSync(path.join(dir, 'patients', ids[3]!, 'images')), []);
  assert.ok(existsSync(path.join(dir, 'patient-index.json')));
  assert.equal(dev.patients.patients().length, 5);
  assert.equal(dev.patients.get(ids[4]!)!.sha, payloadSha256(JSON.parse(String(await nodeFs(dir).read(`patients/${ids[4]}/patient.json`)))));
  // An unreadable index counts as missing.
  writeFileSync(path.join(dir, 'patient-index.json'), '{"format": 1, "patie');
  assert.equal((await reopen(nodeFs(dir))).recovery!.indexRebuilt, true);
});

test('a stale index: folders added or removed behind its back are found with one listing', async () => {
  const { dir } = await manyPatients(6);
  const restored = uuidv7(); // e.g. a folder copied in from a backup
  mkdirSync(path.join(dir, 'patients', restored));
  writeFileSync(path.join(dir, 'patients', restored, 'patient.json'), JSON.stringify({ patient_id: restored, last_name: 'Neumann' }));
  // An app that shows its list first opens without the check and runs it afterwards.
  const early = await FieldDevice.open(nodeFs(dir), { reconcileLater: true });
  assert.equal(early.recovery!.foldersChecked, 0);
  assert.equal(early.patients.get(restored), undefined);
  assert.equal((await reconcileIndex(early)).foldersChecked, 1);
  assert.equal(early.patients.get(restored)!.last_name, 'Neumann');
  rmSync(path.join(dir, 'patient-index.json'));
  await reopen(nodeFs(dir)); // rebuilt, with the restored folder
  const second = uuidv7();
  mkdirSync(path.join(dir, 'patients', second));
  writeFileSync(path.join(dir, 'patients', second, 'patient.json'), JSON.stringify({ patient_id: second, last_name: 'Neumann' }));
  const dev = await reopen(nodeFs(dir));
  assert.equal(dev.recovery!.indexRebuilt, false);
  assert.equal(dev.recovery!.foldersChecked, 1);
  assert.equal(dev.patients.get(second)!.last_name, 'Neumann');
  assert.equal(dev.patients.get(restored)!.last_name, 'Neumann');
  assert.equal((await reopen(nodeFs(dir))).recovery!.foldersChecked, 0, 'and saved');
  rmSync(path.join(dir, 'patients', restored), { recursive: true });
  rmSync(path.join(dir, 'patients', second), { recursive: true });
  const gone = await reopen(nodeFs(dir));
  assert.equal(gone.recovery!.foldersChecked, 0);
  assert.equal(gone.patients.get(restored), undefined);
  assert.equal(gone.patients.patients().length, 6);
});

test('an intent left by a crash sends recovery to exactly the folders it names', async () => {
  const { dir, ids } = await manyPatients(8);
  const dev = await reopen(nodeFs(dir));
  await attach(dev, ids[4]!, { bytes: JPEG });
  // A crash after the bytes of a second photo, before its op: bytes and intent stay.
  const orphan = `patients/${ids[6]}/images/${uuidv7()}.jpg`;
  const fs = nodeFs(dir);
  await fs.writeAtomic(`journal/${uuidv7()}.json`, JSON.stringify({ patients: [ids[6]], what: 'attach', at: new Date().toISOString() }));
  await fs.writeAtomic(orphan, JPEG);
  const traced = tracingFs(nodeFs(dir));
  const after = await FieldDevice.open(traced);
  assert.equal(after.recovery!.foldersChecked, 1);
  assert.equal(after.recovery!.rolledBack, 1);
  assert.equal(await fs.read(orphan), null);
  const touched = traced.paths.filter((p) => p.startsWith('patients/') && !p.includes('/sessions/')); // the pending session is read (roll-forward)
  assert.deepEqual([...new Set(touched.map((p) => p.split('/')[1]))], [ids[6]]);
  assert.deepEqual(readdirSync(path.join(dir, 'journal')), []);
  assert.equal(readdirSync(path.join(dir, 'patients', ids[4]!, 'images')).length, 1, 'the committed photo stays');
});
