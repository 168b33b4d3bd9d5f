// A device folder opened for use: its state, the index of pending ops, and
// the local edits. Every edit follows one rule — the outbox op is the commit
// point: it is written (atomically) before the data file, so once the op
// exists the edit survives a crash (recovery rewrites the data file from it,
// see recovery.ts), and without it the edit never happened.

import { payloadSha256, uuidv7, type Entity, type PushOp } from '../protocol/index.ts';
import { writeJson, type FieldFs } from './fs.ts';
import { PATIENTS, entityPath, isFileEntity } from './layout.ts';
import { readMeta } from './meta.ts';
import { writeOp } from './outbox.ts';
import { reconcileIndex, recover, type RecoveryReport } from './recovery.ts';
import { PatientIndex } from './patient-index.ts';
import { readDeviceState, readTombstones, writeDeviceState, writeTombstones, type DeviceState, type Tombstone } from './state.ts';
import { FieldError } from './errors.ts';

export const SCHEMA_VERSION = 1;

export class FieldDevice {
  readonly fs: FieldFs;
  state: DeviceState;
  tombstones: Tombstone[];
  /** entity_id → number of pending outbox ops for it. */
  readonly pending = new Map<string, number>();
  recovery: RecoveryReport | undefined;
  /** The patient list index (patient-index.ts); loaded or rebuilt by recovery. */
  patients: PatientIndex;
  /** Called after each op is committed to the outbox (the simulator counts ops with it). */
  onRecord: ((op: PushOp) => void) | undefined;
  /** Set when a write failed half-way: only a reopen (recovery) may tell what is on disk. */
  private broken = false;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(fs: FieldFs, state: DeviceState, tombstones: Tombstone[]) {
    this.fs = fs;
    this.state = state;
    this.tombstones = tombstones;
    this.patients = new PatientIndex(fs);
  }

  /**
   * Opens a device folder: runs recovery first, so what a reader sees is
   * consistent, then checks the patient index against the folders
   * (reconcileIndex) unless `reconcileLater` — an app that wants its list on
   * screen first runs that itself.
   */
  static async open(fs: FieldFs, opts: { reconcileLater?: boolean } = {}): Promise<FieldDevice> {
    const dev = new FieldDevice(fs, await readDeviceState(fs), await readTombstones(fs));
    dev.recovery = await recover(dev);
    if (!opts.reconcileLater && !dev.recovery.indexRebuilt) await reconcileIndex(dev, dev.recovery);
    return dev;
  }

  /** Runs `fn` after every earlier exclusive call: edits and sync steps never interleave. */
  exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn, fn);
    this.queue = run.catch(() => undefined);
    return run;
  }

  isTombstoned(patientId: string): boolean {
    return this.tombstones.some((t) => t.patient_id === patientId);
  }

  hasPending(entityId: string): boolean {
    return (this.pending.get(entityId) ?? 0) > 0;
  }

  notePending(entityId: string, delta: number): void {
    const n = (this.pending.get(entityId) ?? 0) + delta;
    if (n > 0) this.pending.set(entityId, n);
    else this.pending.delete(entityId);
  }

  saveState(): Promise<void> {
    return writeDeviceState(this.fs, this.state);
  }

  /**
   * Appends an op for an entity whose new content is `payload`. For patients
   * and sessions the data file is written after the op; for documents and
   * images the caller has already stored the bytes (they are not in the op).
   */
  async record(entity: Entity, patientId: string, entityId: string, payload: Record<string, unknown>): Promise<PushOp> {
    return this.guard(() => this.recordUnguarded(entity, patientId, entityId, payload));
  }

  /** Runs a write; after a storage failure the device refuses further writes until it is reopened. */
  async guard<T>(fn: () => Promise<T>): Promise<T> {
    if (this.broken) throw new FieldError('reopen_required', 'a write failed half-way; reopen the device folder (recovery) before writing again');
    try {
      return await fn();
    } catch (err) {
      // Our own refusals and network failures leave the disk as it was; anything else may not have.
      if (!(err instanceof FieldError)) this.broken = true;
      throw err;
    }
  }

  private async recordUnguarded(entity: Entity, patientId: string, entityId: string, payload: Record<string, unknown>): Promise<PushOp> {
    if (this.isTombstoned(patientId)) throw new FieldError('patient_deleted', `patient ${patientId} was deleted on this device`);
    const meta = await readMeta(this.fs, patientId);
    const op: PushOp = {
      op_id: uuidv7(),
      seq: this.state.next_seq,
      entity,
      patient_id: patientId,
      entity_id: entityId,
      schema_version: SCHEMA_VERSION,
      base_version: meta.versions[entityId]?.version ?? null,
      recorded_at: new Date().toISOString(),
      payload_sha256: payloadSha256(payload),
      payload,
    };
    await writeOp(this.fs, op);
    // device.json is not rewritten per edit: recovery derives next_seq from the outbox.
    this.state.next_seq = op.seq + 1;
    this.notePending(entityId, 1);
    this.onRecord?.(op);
    if (!isFileEntity(entity)) await writeJson(this.fs, entityPath(entity, patientId, entityId), payload);
    // After the data file: a crash before this save is repaired from the op by recovery.
    if (entity === 'patient') this.patients.setPatient(patientId, payload, op.payload_sha256);
    else this.patients.ensure(patientId);
    await this.patients.save();
    return op;
  }

  /** Local deletion: never sent. The tombstone is written first, then the folder goes. */
  deletePatient(patientId: string): Promise<void> {
    return this.guard(() => this.deleteUnguarded(patientId));
  }

  private async deleteUnguarded(patientId: string): Promise<void> {
    if (!this.isTombstoned(patientId)) {
      this.tombstones = [...this.tombstones, { patient_id: patientId, deleted_at: new Date().toISOString() }];
      await writeTombstones(this.fs, this.tombstones);
    }
    await this.fs.remove(`${PATIENTS}/${patientId}`);
    this.patients.remove(patientId);
    await this.patients.save();
  }
}

export type { DeviceState };
export { readDeviceState };
