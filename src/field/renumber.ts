// Giving pending ops new seqs, keeping their order, op_id and payload. Used
// when the server's counter and ours disagree (409 seq_gap: the server expects
// a lower seq; 409 seq_reused after a restored device folder). Only ops the
// server has never stored are renumbered, so no op can be stored twice.
//
// Crash safety: phase 1 moves every op file into outbox-renumber/ (rename:
// atomic, content unchanged); phase 2 writes each op under its new seq in
// outbox/ and only then removes its renumber file. Recovery appends whatever
// is still in outbox-renumber/ after the outbox (dropping ops whose op_id is
// already there), so a crash at any step loses and duplicates nothing.

import { joinPath, readJson } from './fs.ts';
import { RENUMBER, outboxPath, seqName } from './layout.ts';
import { outboxSeqs, writeOp } from './outbox.ts';
import type { PushOp } from '../protocol/index.ts';
import type { FieldDevice } from './device.ts';

export async function renumberAll(dev: FieldDevice, start: number): Promise<number> {
  for (const seq of await outboxSeqs(dev.fs)) await dev.fs.rename(outboxPath(seq), joinPath(RENUMBER, seqName(seq)));
  return finishRenumber(dev, start);
}

/** Phase 2: moves the ops in outbox-renumber/ (in their old order) to outbox/ from `start`. */
export async function finishRenumber(dev: FieldDevice, start: number): Promise<number> {
  const present = new Set<string>();
  for (const seq of await outboxSeqs(dev.fs)) present.add((await readJson<PushOp>(dev.fs, outboxPath(seq)))!.op_id);
  let next = start;
  for (const old of await outboxSeqs(dev.fs, RENUMBER)) {
    const file = joinPath(RENUMBER, seqName(old));
    const op = await readJson<PushOp>(dev.fs, file);
    if (op && !present.has(op.op_id)) {
      await writeOp(dev.fs, { ...op, seq: next });
      next++;
    }
    await dev.fs.remove(file);
  }
  dev.state.next_seq = next;
  await dev.saveState();
  return next - start;
}
