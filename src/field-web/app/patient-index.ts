// The patient list in memory: a sorted view over the device library's
// patient index (src/field/patient-index.ts, one file read at open), rebuilt
// only when the index's revision moved (an edit, a pull, a delete). A
// keystroke in the search box filters an array, never touches storage; a
// query that extends the previous one filters the previous result.

import type { FieldDevice, PatientSummary } from '../../field/index.ts';

export interface PatientEntry {
  id: string;
  name: string;
  detail: string;
  /** Lower-case text the search matches against. */
  hay: string;
}

export function entryOf(s: PatientSummary): PatientEntry {
  const name = [s.last_name, s.first_name].filter(Boolean).join(', ') || '(no name)';
  const detail = [s.birth_date, s.external_ref, s.site].filter(Boolean).join(' · ');
  return { id: s.patient_id, name, detail, hay: `${name} ${s.first_name ?? ''} ${detail} ${s.address ?? ''} ${s.patient_id}`.toLowerCase() };
}

const collator = new Intl.Collator(undefined, { sensitivity: 'base' });

export class PatientSearch {
  private readonly dev: FieldDevice;
  private revision = -1;
  private index: unknown = null;
  private sorted: PatientEntry[] = [];
  private last: { query: string; found: PatientEntry[] } | null = null;

  constructor(dev: FieldDevice) {
    this.dev = dev;
  }

  /** Every patient with a patient.json, in name order. */
  all(): PatientEntry[] {
    const idx = this.dev.patients;
    if (idx !== this.index || idx.revision !== this.revision) {
      this.sorted = idx.patients().filter((s) => !this.dev.isTombstoned(s.patient_id)).map(entryOf).sort((a, b) => collator.compare(a.name, b.name));
      this.index = idx;
      this.revision = idx.revision;
      this.last = null;
    }
    return this.sorted;
  }

  get size(): number {
    return this.all().length;
  }

  has(id: string): boolean {
    return this.all().some((e) => e.id === id);
  }

  /** Every word of the query must occur (case-insensitive), in name order. */
  search(query: string): PatientEntry[] {
    const all = this.all();
    const q = query.toLowerCase();
    const words = q.split(/\s+/).filter(Boolean);
    if (words.length === 0) return all;
    // "berge" → "berger": whatever matches the longer query matched the shorter one.
    const base = this.last && q.startsWith(this.last.query) ? this.last.found : all;
    const found = base.filter((e) => words.every((w) => e.hay.includes(w)));
    this.last = { query: q, found };
    return found;
  }
}
