// Recovery on open. The rules that make "the op and its data file, both or
// neither" true for every reader after a crash at any instant:
//
// 1. Temp files are unfinished writes: tmp/ is emptied (and leftovers of
//    older versions, `.<name>.<rand>.tmp` in the device-wide folders, go).
// 2. An op in both outbox/ and deadletter/ (same seq and op_id: crash while
//    dead-lettering) is settled: the outbox copy goes.
// 3. Ops left in outbox-renumber/ (crash while renumbering) are appended to
//    the outbox in their order, unless their op_id is already there.
// 4. next_seq = max(next_seq, last_seq + 1, highest seq on disk + 1), so a
//    seq is never handed out twice.
// 5. Roll forward: the op is the commit point. For every patient/session with
//    pending ops, the data file is rewritten from the payload of its newest
//    pending op when it differs (the crash fell between op and data file);
//    the patient index follows.
// 6. Suspect folders only — those named by an open intent (journal.ts);
//    every folder when the index must be rebuilt: attachment bytes that no
//    pending op and no known server version name are removed (the crash fell
//    between bytes and op, or between a pulled file and sync_meta); the
//    index entry is re-read.
// 7. A tombstoned patient's folder still on disk is removed (its index entry
//    is removed last, so an entry means the folder may still be there).
//
// So the work grows with what a crash can have left (the outbox, the
// intents), not with the number of patients: one read of the index instead
// of several file-system calls per folder. reconcileIndex (below) then
// compares the index with the listing of patients/ (reconcile.ts).

import { payloadSha256, type PushOp } from '../protocol/index.ts';
import { TEMP_DIR, isTempName, joinPath, readJson, writeJson } from './fs.ts';
import { openIntents } from './journal.ts';
import { DEADLETTER, JOURNAL, OUTBOX, PATIENTS, RENUMBER, UPLOADS, deadletterPath, entityPath, isFileEntity, outboxPath } from './layout.ts';
import { outboxSeqs } from './outbox.ts';
import { PatientIndex } from './patient-index.ts';
import { checkFolder, emptyReport, pool, removeTemps, type RecoveryReport } from './reconcile.ts';
import { finishRenumber } from './renumber.ts';
import type { FieldDevice } from './device.ts';

export { reconcileIndex, type RecoveryReport } from './reconcile.ts';

export async function recover(dev: FieldDevice): Promise<RecoveryReport> {
  const started = Date.now();
  const { fs, state } = dev;
  const r = emptyReport();
  r.tempFilesRemoved += await removeTemps(fs, TEMP_DIR, true);
  // Not patients/ itself: nothing is written there but folders, and listing it costs ~1 s at 5,000 in OPFS.
  for (const dir of ['', OUTBOX, DEADLETTER, RENUMBER, UPLOADS, JOURNAL]) r.tempFilesRemoved += await removeTemps(fs, dir);

  const dead = new Set(await outboxSeqs(fs, DEADLETTER));
  for (const seq of await outboxSeqs(fs)) {
    if (dead.has(seq) && (await readJson<{ op: PushOp }>(fs, deadletterPath(seq)))?.op.op_id === (await readJson<PushOp>(fs, outboxPath(seq)))?.op_id) {
      await fs.remove(outboxPath(seq));
      r.settledDeadLetters++;
    }
  }
  const onDisk = [...(await outboxSeqs(fs)), ...dead];
  const before = state.next_seq;
  state.next_seq = Math.max(state.next_seq, state.last_seq + 1, ...onDisk.map((s) => s + 1));
  if ((await outboxSeqs(fs, RENUMBER)).length) r.renumbered = await finishRenumber(dev, state.next_seq);
  else if (state.next_seq !== before) await dev.saveState();

  // The newest pending op of every entity, and the attachment files they name.
  const newest = new Map<string, PushOp>();
  for (const seq of await outboxSeqs(fs)) {
    const op = await readJson<PushOp>(fs, outboxPath(seq));
    if (!op) continue;
    r.pendingOps++;
    dev.notePending(op.entity_id, 1);
    newest.set(op.entity_id, op);
  }

  const tombstoned = new Set(dev.tombstones.map((t) => t.patient_id));
  const intents = await openIntents(fs);
  const loaded = await PatientIndex.load(fs);
  const index = loaded ?? new PatientIndex(fs);
  dev.patients = index;
  r.indexRebuilt = loaded === null;
  // Only a rebuild lists patients/; otherwise reconcileIndex does, after recovery (and, in the app, after the list is shown).
  const folders = loaded ? null : (await fs.list(PATIENTS)).filter((n) => !isTempName(n));

  for (const op of newest.values()) {
    if (isFileEntity(op.entity) || tombstoned.has(op.patient_id)) continue;
    // The index is saved after patient.json: an entry with the op's sha means the file was written.
    if (op.entity === 'patient' && index.get(op.patient_id)?.sha === op.payload_sha256) continue;
    const file = entityPath(op.entity, op.patient_id, op.entity_id);
    const current = await readJson<unknown>(fs, file).catch(() => null);
    if (current === null || payloadSha256(current) !== op.payload_sha256) {
      await writeJson(fs, file, op.payload);
      r.rolledForward++;
    }
    if (op.entity === 'patient') index.setPatient(op.patient_id, op.payload, op.payload_sha256);
    else index.ensure(op.patient_id);
  }

  const suspects = folders ?? [...intents.patients];
  await pool(suspects.filter((p) => !tombstoned.has(p)), 32, (p) => checkFolder(dev, p, r, { legacy: !loaded, exists: !loaded }));
  // Delete order is tombstone, folder, index entry: an entry left means the folder may be too.
  const listed = folders ? new Set(folders) : null;
  for (const p of tombstoned) {
    if (!(listed ? listed.has(p) : index.entries.has(p) || intents.patients.has(p))) continue;
    await fs.remove(joinPath(PATIENTS, p));
    index.remove(p);
    r.tombstonedRemoved++;
  }
  // The index first, then the intents: an intent goes only once what it guards is repaired.
  await index.save(r.indexRebuilt && index.entries.size > 0);
  for (const file of intents.files) await fs.remove(file);
  r.durationMs = Date.now() - started;
  return r;
}
