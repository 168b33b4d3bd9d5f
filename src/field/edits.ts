// The local edits an app makes: patients, sessions, attachments. Each one is
// a single op (device.ts: op first, then the data file).

import { isUuid, sha256Hex, uuidv7 } from '../protocol/index.ts';
import { readJson } from './fs.ts';
import { entityPath } from './layout.ts';
import { withIntent } from './journal.ts';
import { FieldError } from './errors.ts';
import type { FieldDevice } from './device.ts';

type Json = Record<string, unknown>;

function requireUuid(v: string, what: string): void {
  if (!isUuid(v)) throw new FieldError('invalid_id', `${what} must be a UUID: ${v}`);
}

export async function readPatient(dev: FieldDevice, patientId: string): Promise<Json | null> {
  if (dev.isTombstoned(patientId)) return null;
  return readJson<Json>(dev.fs, entityPath('patient', patientId, patientId));
}

export function addPatient(dev: FieldDevice, data: Json = {}): Promise<string> {
  return dev.exclusive(async () => {
    const id = typeof data.patient_id === 'string' ? data.patient_id : uuidv7();
    requireUuid(id, 'patient_id');
    const now = new Date().toISOString();
    await dev.record('patient', id, id, { created_at: now, updated_at: now, ...data, patient_id: id });
    return id;
  });
}

/** Merges `changes` into patient.json (top-level keys; null removes a key). */
export function editPatient(dev: FieldDevice, patientId: string, changes: Json): Promise<void> {
  return dev.exclusive(async () => {
    const current = await readPatient(dev, patientId);
    if (!current) throw new FieldError('patient_not_found', `no patient ${patientId} on this device`);
    const next: Json = { ...current, ...changes, patient_id: patientId, updated_at: new Date().toISOString() };
    for (const [k, v] of Object.entries(changes)) if (v === null) delete next[k];
    await dev.record('patient', patientId, patientId, next);
  });
}

export function deletePatient(dev: FieldDevice, patientId: string): Promise<void> {
  return dev.exclusive(() => dev.deletePatient(patientId));
}

export function addSession(dev: FieldDevice, patientId: string, data: Json = {}): Promise<string> {
  return dev.exclusive(async () => {
    requireUuid(patientId, 'patient_id');
    const id = typeof data.session_id === 'string' ? data.session_id : uuidv7();
    requireUuid(id, 'session_id');
    await dev.record('session', patientId, id, { ...data, session_id: id, patient_id: patientId });
    return id;
  });
}

export interface Attachment {
  bytes: Uint8Array;
  fileName?: string;
  contentType?: string;
  capturedAt?: string;
}

/**
 * Stores the bytes under documents/ (PDF) or images/ (JPEG), then records the
 * op. The bytes come first because the op cannot carry them: a crash between
 * the two leaves bytes that no op and no known version names, which recovery
 * removes (the attachment never happened); an intent names the folder, so
 * recovery knows to look there.
 */
export function attach(dev: FieldDevice, patientId: string, a: Attachment): Promise<{ entityId: string; sha256: string; entity: 'document' | 'image' }> {
  return dev.exclusive(() =>
    dev.guard(async () => {
      requireUuid(patientId, 'patient_id');
      if (dev.isTombstoned(patientId)) throw new FieldError('patient_deleted', `patient ${patientId} was deleted on this device`);
      const contentType = a.contentType ?? sniffType(a.bytes);
      const entity = contentType === 'application/pdf' ? 'document' : 'image';
      const entityId = uuidv7();
      const sha256 = sha256Hex(a.bytes);
      const payload: Json = { sha256, size: a.bytes.byteLength, content_type: contentType };
      if (a.fileName) payload.file_name = a.fileName;
      payload.captured_at = a.capturedAt ?? new Date().toISOString();
      // The intent tells recovery which folder may hold bytes without their op.
      await withIntent(dev.fs, [patientId], `attach ${entity} ${entityId}`, async () => {
        await dev.fs.writeAtomic(entityPath(entity, patientId, entityId), a.bytes);
        await dev.record(entity, patientId, entityId, payload);
      });
      return { entityId, sha256, entity };
    }),
  );
}

/** PDF and JPEG by their magic numbers; anything else is refused here rather than by the server. */
export function sniffType(bytes: Uint8Array): string {
  if (bytes[0] === 0x25 && bytes[1] === 0x50 && bytes[2] === 0x44 && bytes[3] === 0x46) return 'application/pdf';
  if (bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'image/jpeg';
  throw new FieldError('unsupported_content_type', 'only PDF documents and JPEG images can be attached');
}
