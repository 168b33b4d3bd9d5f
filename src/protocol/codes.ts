// Stable error codes. Clients branch on these, never on the human text.

export const ERROR_CODES = {
  // §0 conventions
  protocol_unsupported: 'the Nexus-Protocol header names a version this server does not speak',
  invalid_request: 'the request body or parameters are malformed',
  unauthorized: 'no bearer token, or a token that is malformed',
  invalid_token: 'the token failed verification (signature, expiry, audience, issuer, algorithm, kid)',
  token_expired: 'the token has expired; fetch a new one',
  rate_limited: 'too many requests from this address; retry after the Retry-After delay',
  internal_error: 'the server failed; nothing about it is shown',
  // §1 guardian
  invalid_enrollment_code: 'the enrolment code is unknown, used or expired',
  invalid_client: 'unknown device, wrong secret, or revoked device',
  device_revoked: 'the device was revoked',
  client_certificate_required: 'a valid client certificate whose subject is the token subject is required',
  token_address_mismatch: 'the request came from an address other than the token\u2019s wg_ip',
  // §2 push
  invalid_batch: 'ops in the batch do not have consecutive seq, or the batch shape is wrong',
  seq_reused: 'an already used seq came with a different op_id or payload_sha256',
  seq_gap: 'the first seq is beyond last_seq + 1',
  batch_too_large: 'more ops or bytes than the server accepts in one request',
  // per-op rejections (§2)
  invalid_op: 'the op does not follow the schema',
  unknown_entity: 'entity is not patient, session, document or image',
  invalid_id: 'patient_id or entity_id is missing or not a UUID',
  payload_hash_mismatch: 'payload_sha256 is not the SHA-256 of the JCS form of payload',
  payload_too_large: 'the payload is larger than 1 MiB',
  invalid_file_metadata: 'a document or image payload lacks sha256, size or content_type',
  // §3 files
  file_hash_mismatch: 'the uploaded bytes do not hash to the sha256 in the URL or metadata',
  file_too_large: 'the file is larger than the server accepts',
  unsupported_content_type: 'the content type is not allowed',
  length_required: 'Content-Length is required',
  not_found: 'no such resource, or not visible to this device',
  // §4 pull
  invalid_cursor: 'the cursor is malformed or was tampered with',
  cursor_expired: 'the server can no longer serve this cursor; start again without one',
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

/** RFC 9457 problem details as sent by the server. */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: ErrorCode | string;
  [extra: string]: unknown;
}
