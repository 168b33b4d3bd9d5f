// patient-index.json: one file with what a patient list and its search need
// (names, date of birth, reference, site, address), so an app opens with one
// read instead of one per patient folder. It is a cache, never the source of
// truth: patient.json and sync_meta.json are. Rules that keep it current:
// - every write of patient.json (edit, pull, roll-forward) and every local
//   delete updates it right after, with writeAtomic (whole file replaced);
// - a crash in between is repaired by recovery: a pending patient op whose
//   sha differs from the entry's is re-applied to it, folders named by an
//   open intent (journal.ts) are re-read, folders on disk without an entry
//   are read, entries without a folder dropped;
// - a missing, unreadable or other-format index is rebuilt from the folders.
// Folders without patient.json (a session pulled before its patient) have an
// entry with sha null, so they do not look new at every open.

import { payloadSha256 } from '../protocol/index.ts';
import { readJson, type FieldFs } from './fs.ts';
import { PATIENT_INDEX_FILE, entityPath } from './layout.ts';
import { readMeta, type SyncMeta } from './meta.ts';

export const INDEX_FORMAT = 1;

export interface PatientSummary {
  patient_id: string;
  /** payload_sha256 of patient.json as indexed; null while the folder has no patient.json. */
  sha: string | null;
  /** Pulled changes kept back in sync_meta `deferred` (the sync panel lists them). */
  deferred: number;
  first_name?: string;
  last_name?: string;
  birth_date?: string;
  sex?: string;
  external_ref?: string;
  site?: string;
  /** The address's values joined by spaces (searchable). */
  address?: string;
  updated_at?: string;
}

interface IndexFile {
  format: number;
  written_at: string;
  patients: PatientSummary[];
}

type Json = Record<string, unknown>;
const FIELDS = ['first_name', 'last_name', 'birth_date', 'sex', 'external_ref', 'site', 'updated_at'] as const;
const text = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : typeof v === 'number' ? String(v) : undefined);

export function summaryOf(patientId: string, p: Json | null, sha: string | null, deferred: number): PatientSummary {
  const s: PatientSummary = { patient_id: patientId, sha: p ? sha : null, deferred };
  if (!p) return s;
  for (const k of FIELDS) {
    const v = text(p[k]);
    if (v !== undefined) s[k] = v;
  }
  if (p.address && typeof p.address === 'object') {
    const a = Object.values(p.address as Json).map(text).filter(Boolean).join(' ');
    if (a) s.address = a;
  }
  return s;
}

export class PatientIndex {
  readonly entries = new Map<string, PatientSummary>();
  /** Grows with every change, so a view knows when to rebuild its sorted list. */
  revision = 0;
  private readonly fs: FieldFs;
  private dirty = false;

  constructor(fs: FieldFs) {
    this.fs = fs;
  }

  /** The index on disk, or null when it must be rebuilt (missing, unreadable, other format). */
  static async load(fs: FieldFs): Promise<PatientIndex | null> {
    const file = await readJson<IndexFile>(fs, PATIENT_INDEX_FILE).catch(() => null);
    if (!file || file.format !== INDEX_FORMAT || !Array.isArray(file.patients)) return null;
    const index = new PatientIndex(fs);
    for (const s of file.patients) index.entries.set(s.patient_id, s);
    return index;
  }

  get(patientId: string): PatientSummary | undefined {
    return this.entries.get(patientId);
  }

  /** Patients with a patient.json (what a list shows). */
  patients(): PatientSummary[] {
    return [...this.entries.values()].filter((s) => s.sha !== null);
  }

  private set(s: PatientSummary): void {
    this.entries.set(s.patient_id, s);
    this.dirty = true;
    this.revision++;
  }

  /** patient.json of `patientId` now holds `payload` (whose JCS sha is `sha`). */
  setPatient(patientId: string, payload: Json, sha: string = payloadSha256(payload)): void {
    const cur = this.entries.get(patientId);
    if (cur?.sha === sha) return;
    this.set(summaryOf(patientId, payload, sha, cur?.deferred ?? 0));
  }

  setDeferred(patientId: string, deferred: number): void {
    const cur = this.entries.get(patientId) ?? { patient_id: patientId, sha: null, deferred: 0 };
    if (cur.deferred !== deferred) this.set({ ...cur, deferred });
  }

  /** The folder exists (something was written into it). */
  ensure(patientId: string): void {
    if (!this.entries.has(patientId)) this.set({ patient_id: patientId, sha: null, deferred: 0 });
  }

  remove(patientId: string): void {
    if (this.entries.delete(patientId)) {
      this.dirty = true;
      this.revision++;
    }
  }

  /** Re-reads one folder's patient.json and sync_meta.json (recovery, rebuild). */
  async refresh(patientId: string, known?: SyncMeta): Promise<void> {
    const p = await readJson<Json>(this.fs, entityPath('patient', patientId, patientId)).catch(() => null);
    const meta = known ?? (await readMeta(this.fs, patientId).catch(() => null));
    const next = summaryOf(patientId, p, p ? payloadSha256(p) : null, Object.keys(meta?.deferred ?? {}).length);
    if (JSON.stringify(next) !== JSON.stringify(this.entries.get(patientId))) this.set(next);
  }

  /** Writes the file when something changed since the last save. */
  async save(force = false): Promise<void> {
    if (!this.dirty && !force) return;
    const file: IndexFile = { format: INDEX_FORMAT, written_at: new Date().toISOString(), patients: [...this.entries.values()] };
    // Compact: with thousands of patients the file is rewritten whole on every patient write.
    await this.fs.writeAtomic(PATIENT_INDEX_FILE, JSON.stringify(file));
    this.dirty = false;
  }
}
