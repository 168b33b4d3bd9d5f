// Request and response bodies of SYNC_PROTOCOL.md v1.
import type { Entity } from './constants.ts';

// §1 Guardian
export interface EnrollRequest { enrollment_code: string; device_name?: string; csr?: string }
export interface EnrollResponse { device_id: string; device_secret: string; wg_ip: string; client_certificate?: string }
export interface TokenRequest { device_id: string; device_secret: string }
export interface TokenResponse { access_token: string; token_type: 'Bearer'; expires_in: number }
export interface AccessTokenClaims {
  iss: string; aud: string; sub: string; iat: number; exp: number; jti: string; groups: string[]; wg_ip: string;
}

// §2 Push
export interface FileMetadata { sha256: string; size: number; content_type: string; file_name?: string; captured_at?: string }
export interface PushOp {
  op_id: string;
  seq: number;
  entity: Entity;
  patient_id: string;
  entity_id: string;
  schema_version: number;
  base_version?: number | null;
  recorded_at: string;
  payload_sha256: string;
  payload: Record<string, unknown>;
}
export interface PushRequest { ops: PushOp[] }
export type PushResult =
  | { op_id: string; seq: number; status: 'applied' | 'duplicate'; version: number }
  | { op_id: string; seq: number; status: 'rejected'; error: { code: string; message: string } };
export interface PushResponse { last_seq: number; results: PushResult[]; missing_files: string[]; server_time: string }

// §3 Files
export interface FilesCheckRequest { sha256: string[] }
export interface FilesCheckResponse { missing: string[] }

// §4 Pull
export interface PullChange {
  entity: Entity; patient_id: string; entity_id: string; version: number;
  origin_device: string; payload_sha256: string; payload: Record<string, unknown>;
}
export interface PullResponse { changes: PullChange[]; last_seq: number; parameters_version: number; cursor: string; has_more: boolean }

// §5 Parameters
export interface ParametersResponse { version: number; parameters: Record<string, unknown> }
