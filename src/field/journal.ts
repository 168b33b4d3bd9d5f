// Intents: what tells recovery where a crash can have left half a write, so
// it never has to walk every patient folder. Before a write that touches
// several files of some patient folders and whose halves the outbox cannot
// reconcile (attachment bytes before their op; a pulled page's files before
// sync_meta; the patient index after patient.json), an intent naming those
// folders is written to journal/; it is removed once the write is complete.
// Recovery checks exactly the folders that intents still name.
//
// Edits of patient.json and sessions need no intent: their op is the commit
// point and recovery already reconciles every pending op (recovery.ts).
// A failed write leaves its intent behind on purpose: the device then
// refuses writes until a reopen, whose recovery reads it.

import { uuidv7 } from '../protocol/index.ts';
import { isTempName, joinPath, readJson, writeJson, type FieldFs } from './fs.ts';
import { JOURNAL } from './layout.ts';

export interface Intent {
  patients: string[];
  /** What was being written, for a person reading the folder. */
  what: string;
  at: string;
}

/** Runs `fn` with an intent naming `patients` on disk; no intent when the list is empty. */
export async function withIntent<T>(fs: FieldFs, patients: Iterable<string>, what: string, fn: () => Promise<T>): Promise<T> {
  const ids = [...new Set(patients)];
  if (ids.length === 0) return fn();
  const file = joinPath(JOURNAL, `${uuidv7()}.json`);
  await writeJson(fs, file, { patients: ids, what, at: new Date().toISOString() } satisfies Intent);
  const out = await fn();
  await fs.remove(file);
  return out;
}

/** The intents left by interrupted writes: their files and the patient folders they name. */
export async function openIntents(fs: FieldFs): Promise<{ files: string[]; patients: Set<string> }> {
  const files: string[] = [];
  const patients = new Set<string>();
  for (const name of await fs.list(JOURNAL)) {
    const file = joinPath(JOURNAL, name);
    files.push(file);
    if (isTempName(name) || !name.endsWith('.json')) continue;
    // An unreadable intent was never completely written: nothing happened after it.
    const intent = await readJson<Intent>(fs, file).catch(() => null);
    for (const p of intent?.patients ?? []) patients.add(p);
  }
  return { files, patients };
}
