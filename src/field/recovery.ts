// Recovery on open. The rules that make "the op and its data file, both or
// neither" true for every reader after a crash at any instant:
//
// 1. Temp files (`.<name>.<rand>.tmp`) are unfinished writes: removed.
// 2. An op in both outbox/ and deadletter/ (same seq and op_id: crash while
//    dead-lettering) is settled: the outbox copy goes.
// 3. Ops left in outbox-renumber/ (crash while renumbering) are appended to
//    the outbox in their order, unless their op_id is already there.
// 4. next_seq = max(next_seq, last_seq + 1, highest seq on disk + 1), so a
//    seq is never handed out twice.
// 5. Roll forward: the op is the commit point. For every patient/session with
//    pending ops, the data file is rewritten from the payload of its newest
//    pending op when it differs (the crash fell between op and data file).
// 6. Roll back: attachment bytes that no pending op and no known server
//    version name are removed (the crash fell between bytes and op).
// 7. A tombstoned patient's folder still on disk is removed.

import { payloadSha256, type PushOp } from '../protocol/index.ts';
import { isTempName, joinPath, readJson, writeJson, type FieldFs } from './fs.ts';
import { DEADLETTER, OUTBOX, PATIENTS, RENUMBER, UPLOADS, entityFolders, deadletterPath, entityPath, isFileEntity, outboxPath } from './layout.ts';
import { readMeta } from './meta.ts';
import { outboxSeqs } from './outbox.ts';
import { finishRenumber } from './renumber.ts';
import type { FieldDevice } from './device.ts';

export interface RecoveryReport {
  tempFilesRemoved: number;
  settledDeadLetters: number;
  renumbered: number;
  rolledForward: number;
  rolledBack: number;
  tombstonedRemoved: number;
  pendingOps: number;
}

async function removeTemps(fs: FieldFs, dir: string): Promise<number> {
  let n = 0;
  for (const name of await fs.list(dir)) {
    if (isTempName(name)) {
      await fs.remove(joinPath(dir, name));
      n++;
    }
  }
  return n;
}

export async function recover(dev: FieldDevice): Promise<RecoveryReport> {
  const { fs, state } = dev;
  const r: RecoveryReport = { tempFilesRemoved: 0, settledDeadLetters: 0, renumbered: 0, rolledForward: 0, rolledBack: 0, tombstonedRemoved: 0, pendingOps: 0 };
  const patients = (await fs.list(PATIENTS)).filter((n) => !isTempName(n));
  for (const dir of ['', OUTBOX, DEADLETTER, RENUMBER, UPLOADS, PATIENTS]) r.tempFilesRemoved += await removeTemps(fs, dir);
  for (const p of patients) {
    r.tempFilesRemoved += await removeTemps(fs, joinPath(PATIENTS, p));
    for (const f of entityFolders) r.tempFilesRemoved += await removeTemps(fs, joinPath(PATIENTS, p, f));
  }

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
  for (const op of newest.values()) {
    if (isFileEntity(op.entity) || tombstoned.has(op.patient_id)) continue;
    const file = entityPath(op.entity, op.patient_id, op.entity_id);
    const current = await readJson<unknown>(fs, file).catch(() => null);
    if (current === null || payloadSha256(current) !== op.payload_sha256) {
      await writeJson(fs, file, op.payload);
      r.rolledForward++;
    }
  }

  for (const p of patients) {
    if (tombstoned.has(p)) {
      await fs.remove(joinPath(PATIENTS, p));
      r.tombstonedRemoved++;
      continue;
    }
    const meta = await readMeta(fs, p);
    for (const folder of ['documents', 'images'] as const) {
      for (const name of await fs.list(joinPath(PATIENTS, p, folder))) {
        const id = name.replace(/\.(pdf|jpg)$/, '');
        if (!newest.has(id) && !meta.versions[id]) {
          await fs.remove(joinPath(PATIENTS, p, folder, name));
          r.rolledBack++;
        }
      }
    }
  }
  return r;
}
