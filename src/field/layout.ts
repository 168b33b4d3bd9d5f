// Where things live in the device folder (SYNC_PROTOCOL §6). Every path the
// library touches is built here.

import { joinPath } from './fs.ts';
import type { Entity } from '../protocol/index.ts';

export const DEVICE_FILE = 'device.json';
export const SECRET_FILE = 'secret.json';
export const CONFIG_FILE = 'config.json';
export const PARAMETERS_FILE = 'parameters.json';
export const TOMBSTONES_FILE = 'tombstones.json';
export const OUTBOX = 'outbox';
export const DEADLETTER = 'deadletter';
/** Ops being given new seqs (renumber.ts); only non-empty after a crash mid-renumbering. */
export const RENUMBER = 'outbox-renumber';
export const UPLOADS = 'uploads';
export const PATIENTS = 'patients';
/** Intents of unfinished multi-file writes into patient folders (journal.ts): where recovery looks. */
export const JOURNAL = 'journal';
/** The patient list index (patient-index.ts): a cache, never the source of truth. */
export const PATIENT_INDEX_FILE = 'patient-index.json';

/** Outbox and dead-letter files are named by seq, zero-padded so names sort in seq order. */
export const seqName = (seq: number): string => `${String(seq).padStart(12, '0')}.json`;
export const seqOfName = (name: string): number | null => (/^\d{12}\.json$/.test(name) ? Number(name.slice(0, 12)) : null);

export const outboxPath = (seq: number): string => joinPath(OUTBOX, seqName(seq));
export const deadletterPath = (seq: number): string => joinPath(DEADLETTER, seqName(seq));
export const uploadStatePath = (sha256: string): string => joinPath(UPLOADS, `${sha256}.json`);

export const patientDir = (patientId: string): string => joinPath(PATIENTS, patientId);
export const syncMetaPath = (patientId: string): string => joinPath(patientDir(patientId), 'sync_meta.json');

const FOLDER: Record<Entity, string> = { patient: '', session: 'sessions', document: 'documents', image: 'images' };
const EXT: Record<Entity, string> = { patient: '', session: '.json', document: '.pdf', image: '.jpg' };

/** The data file of an entity: patient.json, sessions/{id}.json, documents/{id}.pdf, images/{id}.jpg. */
export function entityPath(entity: Entity, patientId: string, entityId: string): string {
  if (entity === 'patient') return joinPath(patientDir(patientId), 'patient.json');
  return joinPath(patientDir(patientId), FOLDER[entity], `${entityId}${EXT[entity]}`);
}

export const isFileEntity = (e: Entity): e is 'document' | 'image' => e === 'document' || e === 'image';
export const entityFolders = ['sessions', 'documents', 'images'] as const;
