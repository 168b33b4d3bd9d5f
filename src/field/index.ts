// The device library's public surface (src/field/README.md).
export { FieldDevice, SCHEMA_VERSION } from './device.ts';
export { addPatient, editPatient, deletePatient, addSession, attach, readPatient, sniffType, type Attachment } from './edits.ts';
export { initDevice, openDevice, sync, type FieldClient, type InitOptions, type OpenOptions, type SyncOptions, type SyncReport } from './sync.ts';
export { BackgroundSync, type BackgroundOptions, type RunOutcome, type TriggerReason, type SchedulerTimers } from './background.ts';
export { deviceStatus, type DeviceStatus } from './status.ts';
export { listDeadLetters, outboxSeqs, readOp, type DeadLetter } from './outbox.ts';
export { readMeta, type SyncMeta, type KnownVersion } from './meta.ts';
export { readDeviceState, readConfig, readParameters, readTombstones, type DeviceState, type FieldConfig, type Parameters } from './state.ts';
export { FieldError, isFieldError } from './errors.ts';
export { Api, type ApiStats, type Endpoints } from './api.ts';
export { DEFAULT_RETRY, backoffDelay, type RetryPolicy } from './backoff.ts';
export { readJson, writeJson, joinPath, TEMP_DIR, type FieldFs, type FileStat } from './fs.ts';
export type { HttpClient, HttpRequest, HttpResponse, TusUpload, TusResult } from './http.ts';
export { entityPath, patientDir, outboxPath } from './layout.ts';
export { recover, reconcileIndex, type RecoveryReport } from './recovery.ts';
export { PatientIndex, summaryOf, type PatientSummary } from './patient-index.ts';
export type { PushStats } from './push.ts';
export type { PullStats } from './pull.ts';
