// The seeded workload of a run: P patient creations, S sessions, P/2 patient
// edits, A attachments and a few local deletions, shuffled, with patient
// creations spread through it so the rest always has patients to refer to.

import type { Rng } from './data.ts';

export type Action = 'patient' | 'session' | 'edit' | 'attach' | 'delete';

export function plan(o: { patients: number; sessions: number; attachments: number; deleteRatio?: number }, r: Rng): Action[] {
  const n = (k: number, a: Action) => Array.from({ length: k }, () => a);
  const edits = Math.ceil(o.patients / 2);
  const deletes = Math.floor(o.patients * (o.deleteRatio ?? 0.02));
  const rest = [...n(o.sessions, 'session'), ...n(edits, 'edit'), ...n(o.attachments, 'attach'), ...n(deletes, 'delete')];
  for (let i = rest.length - 1; i > 0; i--) {
    const j = Math.floor(r() * (i + 1));
    [rest[i], rest[j]] = [rest[j]!, rest[i]!];
  }
  const out: Action[] = [];
  let p = o.patients;
  while (p > 0 || rest.length) {
    if (p > 0 && (r() < 0.5 || !rest.length)) out.push('patient'), p--;
    else out.push(rest.pop()!);
  }
  return out;
}
