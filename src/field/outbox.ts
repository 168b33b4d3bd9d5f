// outbox/: one pending op per file, named by its zero-padded seq, so the
// folder listing is the push order. deadletter/: ops the server rejected,
// with its error (kept for a person; never resent).

import { isTempName, joinPath, readJson, writeJson, type FieldFs } from './fs.ts';
import { DEADLETTER, OUTBOX, deadletterPath, outboxPath, seqOfName } from './layout.ts';
import type { PushOp } from '../protocol/index.ts';

export interface DeadLetter {
  op: PushOp;
  error: { code: string; message: string };
  dead_at: string;
}

export async function outboxSeqs(fs: FieldFs, dir = OUTBOX): Promise<number[]> {
  return (await fs.list(dir)).map(seqOfName).filter((s): s is number => s !== null).sort((a, b) => a - b);
}

export const readOp = (fs: FieldFs, seq: number): Promise<PushOp | null> => readJson<PushOp>(fs, outboxPath(seq));
export const writeOp = (fs: FieldFs, op: PushOp): Promise<void> => writeJson(fs, outboxPath(op.seq), op);
export const removeOp = (fs: FieldFs, seq: number): Promise<void> => fs.remove(outboxPath(seq));

/**
 * Moves an op to deadletter/. Written before the outbox file is removed: a
 * crash in between leaves the op in both, and recovery drops the outbox copy
 * (same seq and op_id). `server` = the server answered `rejected` (the seq is
 * consumed there; file named by seq); otherwise the server never stored it
 * (`local-<op_id>.json`, its seq will be reused after a renumbering).
 */
export async function deadLetter(fs: FieldFs, op: PushOp, error: { code: string; message: string }, server = true): Promise<void> {
  const file = server ? deadletterPath(op.seq) : joinPath(DEADLETTER, `local-${op.op_id}.json`);
  await writeJson(fs, file, { op, error, dead_at: new Date().toISOString() } satisfies DeadLetter);
  await removeOp(fs, op.seq);
}

/** An attachment whose bytes could not be uploaded for good (its op was applied; the server lacks the bytes). */
export async function deadFile(fs: FieldFs, op: PushOp, error: { code: string; message: string }): Promise<void> {
  const sha = String(op.payload.sha256);
  await writeJson(fs, joinPath(DEADLETTER, `file-${sha}.json`), { op, error, dead_at: new Date().toISOString() } satisfies DeadLetter);
}

/** The dead-letter files (server-rejected, local and file ones), without temp files. */
export async function deadLetterNames(fs: FieldFs): Promise<string[]> {
  return (await fs.list(DEADLETTER)).filter((name) => name.endsWith('.json') && !isTempName(name));
}

export async function listDeadLetters(fs: FieldFs): Promise<DeadLetter[]> {
  const out: DeadLetter[] = [];
  for (const name of await deadLetterNames(fs)) {
    const d = await readJson<DeadLetter>(fs, joinPath(DEADLETTER, name));
    if (d) out.push(d);
  }
  return out;
}
