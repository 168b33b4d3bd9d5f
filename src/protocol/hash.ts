// payload_sha256 = SHA-256 (lowercase hex) of the RFC 8785 (JCS) form of payload.
import { createHash } from 'node:crypto';
import canonicalizeImport from 'canonicalize';

const canonicalize = canonicalizeImport as unknown as (value: unknown) => string | undefined;

export function canonicalJson(value: unknown): string {
  const out = canonicalize(value);
  if (out === undefined) throw new TypeError('value cannot be represented as JSON');
  return out;
}

export function sha256Hex(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

export function payloadSha256(payload: unknown): string {
  return sha256Hex(canonicalJson(payload));
}
